// Ctrl-C and SIGTERM during Simulator::Run: stop the simulation at the next event.
//
// Python's own SIGINT handler only sets a flag that the interpreter reads between bytecodes:
// while ns-3 runs in C++ for a long time (beacons and WiFi are all C++), the flag waits, and
// when a Python callback finally runs, KeyboardInterrupt is raised inside a ctypes callback,
// where Python prints "Exception ignored" and the run goes on. So for the length of
// Simulator::Run these handlers take over: the first signal records itself and calls
// Simulator::Stop(), which for the default implementation only sets the flag its event loop
// reads before each event (Run() clears it when it starts, hence the check of StopSignal()
// before Run). A second signal restores the default action and raises it again: the process
// ends at once, even if one event never returns. The previous handlers (Python's) come back
// with RestoreStopSignals(), and Python raises KeyboardInterrupt itself.

//
// And an ns-3 assertion or fatal error during Run (NS_ASSERT, NS_FATAL_ERROR: std::terminate,
// then abort) would otherwise end in cppyy's crash handler, which attaches a debugger and
// prints every thread's stack (about 150 lines, exit 133) after ns-3's own one-line message.
// For the length of Run, SIGABRT writes a line saying what happened instead (prepared before
// Run: nothing is formatted in the handler), then takes its default action (exit 134).

#ifndef IMM_INTERRUPT_H
#define IMM_INTERRUPT_H

#include <csignal>
#include <cstring>
#include <unistd.h>

namespace imm {
namespace interrupt_state {
inline volatile std::sig_atomic_t stop_signal = 0;
inline struct sigaction old_int {};
inline struct sigaction old_term {};
inline bool have_int = false;
inline bool have_term = false;
inline struct sigaction old_abrt {};
inline bool have_abrt = false;
inline char abort_message[1024] = {0};
}  // namespace interrupt_state

// The signal's default action, now (from a handler of it).
inline void RaiseWithDefaultAction(int sig) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
  raise(sig);
}

inline void OnAbort(int sig) {
  namespace st = interrupt_state;
  ssize_t ignored = write(STDERR_FILENO, st::abort_message, std::strlen(st::abort_message));
  (void)ignored;
  RaiseWithDefaultAction(sig);
}

// What SIGABRT says during Run (the caller's words: the run, where nothing was written).
inline void InstallAbortMessage(const char* message) {
  namespace st = interrupt_state;
  std::strncpy(st::abort_message, message, sizeof(st::abort_message) - 1);
  st::abort_message[sizeof(st::abort_message) - 1] = 0;
  struct sigaction sa {};
  sa.sa_handler = OnAbort;
  sigemptyset(&sa.sa_mask);
  st::have_abrt = sigaction(SIGABRT, &sa, &st::old_abrt) == 0;
}

inline void OnStopSignal(int sig) {
  namespace st = interrupt_state;
  if (st::stop_signal != 0) {  // the second one: the default action, now
    RaiseWithDefaultAction(sig);
    return;
  }
  st::stop_signal = sig;
  ns3::Simulator::Stop();
}

// Install the handlers for SIGINT and SIGTERM, except where the signal is ignored (a sweep
// worker ignores SIGINT: its parent decides). Returns which were installed (1 INT, 2 TERM).
inline int InstallStopSignals() {
  namespace st = interrupt_state;
  st::stop_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  int installed = 0;
  struct sigaction cur {};
  if (sigaction(SIGINT, nullptr, &cur) == 0 && cur.sa_handler != SIG_IGN) {
    st::old_int = cur;
    st::have_int = sigaction(SIGINT, &sa, nullptr) == 0;
    installed |= st::have_int ? 1 : 0;
  }
  if (sigaction(SIGTERM, nullptr, &cur) == 0 && cur.sa_handler != SIG_IGN) {
    st::old_term = cur;
    st::have_term = sigaction(SIGTERM, &sa, nullptr) == 0;
    installed |= st::have_term ? 2 : 0;
  }
  return installed;
}

inline void RestoreStopSignals() {
  namespace st = interrupt_state;
  if (st::have_int) sigaction(SIGINT, &st::old_int, nullptr);
  if (st::have_term) sigaction(SIGTERM, &st::old_term, nullptr);
  if (st::have_abrt) sigaction(SIGABRT, &st::old_abrt, nullptr);
  st::have_int = st::have_term = st::have_abrt = false;
}

// The signal that stopped the run (0: none).
inline int StopSignal() { return static_cast<int>(interrupt_state::stop_signal); }
}  // namespace imm

#endif  // IMM_INTERRUPT_H
