// Stations that scan several channels: a channel plan for the base stations (builder.py).
// Compiled once per process after bridge.h, only for scenarios whose base stations use more than
// one channel (a base station's `channel`); single-channel scenarios keep ns-3's own
// WifiDefaultAssocManager and are unchanged.
//
// Why: ns-3 3.44's StaWifiMac scans only the channel its PHY is on (WifiDefaultAssocManager
// probes "channel 0", the current one), so every cell of an extended service set had to share
// one channel. Real deployments give neighbouring cells non-overlapping channels (1, 6 and 11 on
// 2.4 GHz), and a real station's MLME-SCAN visits every channel of its list in turn (802.11-2020
// 11.1.4.3): the time that takes is a large part of a layer-2 handoff's latency.
//
// What: imm::ChannelScanAssocManager, an association manager (the part of StaWifiMac that scans)
// with the same interface as ns-3's default one. A scan tunes the PHY to each channel of its
// list in turn, in the list's order; on each it waits ProbeDelay, sends one broadcast probe
// request (active scanning; none when passive) and listens for probe responses and beacons for
// ProbeRequestTimeout (active) or WaitBeaconTimeout (passive), exactly what the default manager
// does on its one channel. When the list is done it tunes to the channel of the access point
// with the best SNR and hands that AP to the MAC, which associates as usual; with none found,
// the MAC starts the next scan at once (as with the default manager). A channel switch takes the
// PHY's ChannelSwitchDelay (250 us by default); frames are sent only once the switch is over.
//
// Candidates: like the default manager, a scan that follows a failed attempt reuses the access
// points heard in the scan before (no new scan while one of them is left), but no longer once
// the station has associated since: after an association the candidates heard before it are
// stale and a new full scan is made (the default manager would reuse them, however old).

#ifndef IMM_CHANNEL_SCAN_H
#define IMM_CHANNEL_SCAN_H

#include "ns3/wifi-assoc-manager.h"  // not among the wifi headers the loader parses

#include <cstdint>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace imm {

// Full scans made and channel switches asked of the PHY, by every station of the run (reset
// after Simulator::Destroy).
inline uint64_t g_channel_scans = 0, g_channel_switches = 0;

class ChannelScanAssocManager : public ns3::WifiAssocManager {
 public:
  static ns3::TypeId GetTypeId() {
    static ns3::TypeId tid =
        ns3::TypeId("imm::ChannelScanAssocManager")
            .SetParent<ns3::WifiAssocManager>()
            .SetGroupName("imm")
            .AddConstructor<ChannelScanAssocManager>()
            .AddAttribute("Channels", "Channel numbers to scan, in order, comma-separated.",
                          ns3::StringValue(""),
                          ns3::MakeStringAccessor(&ChannelScanAssocManager::SetChannels,
                                                  &ChannelScanAssocManager::GetChannels),
                          ns3::MakeStringChecker());
    return tid;
  }

  void SetChannels(std::string list) {
    m_channels.clear();
    std::stringstream in(list);
    for (std::string item; std::getline(in, item, ',');)
      if (!item.empty()) m_channels.push_back(static_cast<uint8_t>(std::stoi(item)));
  }
  std::string GetChannels() const {
    std::string out;
    for (auto ch : m_channels) out += (out.empty() ? "" : ",") + std::to_string(ch);
    return out;
  }

  void NotifyChannelSwitched(uint8_t) override {}

  bool Compare(const ns3::StaWifiMac::ApInfo& lhs,
               const ns3::StaWifiMac::ApInfo& rhs) const override {
    return lhs.m_snr > rhs.m_snr;  // as the default manager: the best SNR first
  }

 protected:
  void DoDispose() override {
    m_event.Cancel();
    m_probe.Cancel();
    ns3::WifiAssocManager::DoDispose();
  }
  bool CanBeInserted(const ns3::StaWifiMac::ApInfo& ap) const override {
    m_heard[ap.m_bssid] = m_generation;
    return true;
  }
  bool CanBeReturned(const ns3::StaWifiMac::ApInfo& ap) const override { return Fresh(ap); }

 private:
  void DoStartScanning() override {
    if (!m_watching) {  // the MAC is set by now: count its associations from here on
      m_watching = true;
      m_mac->TraceConnectWithoutContext(
          "Assoc", ns3::MakeCallback(&ChannelScanAssocManager::Associated, this));
      m_mac->GetWifiPhy(0)->TraceConnectWithoutContext(
          "PhyRxEnd", ns3::MakeCallback(&ChannelScanAssocManager::RxEnd, this));
    }
    m_event.Cancel();
    m_probe.Cancel();
    // A frame that asks this station for a response (an ACK) ended less than SIFS ago: the
    // response leaves SIFS after it, and ns-3 3.44's frame exchange manager does not cancel it
    // when the PHY switches channel meanwhile (WifiPhy::Send asserts: not while switching). The
    // scan starts right after the response has gone to the PHY (an event at the same time,
    // scheduled later), which then postpones the switch to the end of that transmission.
    ns3::Time due = m_respondingAt + m_mac->GetWifiPhy(0)->GetSifs();
    if (m_respondingAt.IsPositive() && due >= ns3::Simulator::Now()) {
      m_event = ns3::Simulator::Schedule(due - ns3::Simulator::Now(),
                                         &ChannelScanAssocManager::StartScanning, this);
      return;
    }
    StartScanning();
  }

  void StartScanning() {
    if (BestFresh()) {  // candidates left from the scan before a failed attempt
      m_event = ns3::Simulator::ScheduleNow(&ChannelScanAssocManager::EndScanning, this);
      return;
    }
    ++g_channel_scans;
    m_next = 0;
    ScanNextChannel();
  }

  void ScanNextChannel() {
    if (m_next >= m_channels.size()) {
      EndScanning();
      return;
    }
    ns3::Time wait = Tune(m_channels[m_next++]);
    const auto& params = GetScanParams();
    if (params.type == ns3::WifiScanType::ACTIVE) {
      m_probe = ns3::Simulator::Schedule(wait + params.probeDelay,
                                         &ChannelScanAssocManager::SendProbe, this);
      wait += params.probeDelay;
    }
    m_event = ns3::Simulator::Schedule(wait + params.maxChannelTime,
                                       &ChannelScanAssocManager::ScanNextChannel, this);
  }

  void SendProbe() { m_mac->EnqueueProbeRequest(m_mac->GetProbeRequest(0), 0); }

  // The scan is over: tune to the best fresh candidate's channel, then let the MAC have it.
  void EndScanning() {
    if (const auto* ap = BestFresh())
      m_event = ns3::Simulator::Schedule(Tune(ap->m_channel.number),
                                         &ChannelScanAssocManager::Timeout, this);
    else
      Timeout();
  }
  void Timeout() { ScanningTimeout(); }  // the best fresh candidate, or none: scan again

  // Switches the PHY to `ch` unless it is there; returns how long until it can send.
  ns3::Time Tune(uint8_t ch) {
    auto phy = m_mac->GetWifiPhy(0);
    if (phy->GetChannelNumber() == ch) return ns3::Time(0);
    ++g_channel_switches;  // (a channel's probe is always sent before its dwell ends)
    phy->SetOperatingChannel(ns3::WifiPhy::ChannelTuple{ch, phy->GetChannelWidth(),
                                                         phy->GetPhyBand(), 0});
    return phy->GetChannelSwitchDelay();
  }

  void Associated(ns3::Mac48Address) { ++m_generation; }
  // A frame received whole: remember when, if it is addressed to this station and asks for a
  // response (a data or management frame, an RTS or a block-ack request).
  void RxEnd(ns3::Ptr<const ns3::Packet> p) {
    ns3::WifiMacHeader h;
    if (p->GetSize() < 10 || !p->PeekHeader(h) || h.GetAddr1() != m_mac->GetAddress()) return;
    if (!h.IsCtl() || h.IsRts() || h.IsBlockAckReq()) m_respondingAt = ns3::Simulator::Now();
  }
  bool Fresh(const ns3::StaWifiMac::ApInfo& ap) const {
    auto it = m_heard.find(ap.m_bssid);
    return it != m_heard.end() && it->second == m_generation;
  }
  // The candidate ScanningTimeout will hand to the MAC: the best SNR among the fresh ones.
  const ns3::StaWifiMac::ApInfo* BestFresh() const {
    for (const auto& ap : GetSortedList())
      if (Fresh(ap)) return &ap;
    return nullptr;
  }

  std::vector<uint8_t> m_channels;
  size_t m_next = 0;
  ns3::EventId m_event, m_probe;
  bool m_watching = false;
  ns3::Time m_respondingAt = ns3::NanoSeconds(-1);  // when a frame asking this station to respond ended
  uint64_t m_generation = 0;  // associations so far
  mutable std::unordered_map<ns3::Mac48Address, uint64_t, ns3::WifiAddressHash> m_heard;
};

// Registers the type with ns-3 (for WifiMacHelper::SetAssocManager by name).
inline bool RegisterChannelScan() { return ChannelScanAssocManager::GetTypeId().GetUid() != 0; }

inline uint64_t ChannelScans() { return g_channel_scans; }
inline uint64_t ChannelSwitches() { return g_channel_switches; }
inline void ResetChannelScanCounts() { g_channel_scans = g_channel_switches = 0; }

}  // namespace imm

#endif  // IMM_CHANNEL_SCAN_H
