// Records kept in C++ that protocol hooks share (mip_hook.h, mip_tunnel.h); read by Python
// after the run.
// requires: bridge.h

#ifndef IMM_RECORDS_H
#define IMM_RECORDS_H

#include <cstdint>
#include <vector>

namespace imm {

// ---- Records kept in C++ ----------------------------------------------------------------------
// Each change of the destination address of arriving TCP at a mobile host, with its time:
// when TCP first came on a new care-of address (care-of change -> first segment on it).
struct ArrivalLog {
  std::vector<uint32_t> arrivalAddress;
  std::vector<int64_t> arrivalNs;
  void Note(uint32_t dst) {
    if (arrivalAddress.empty() || arrivalAddress.back() != dst) {
      arrivalAddress.push_back(dst);
      arrivalNs.push_back(NowNs());
    }
  }
};

}  // namespace imm

#endif  // IMM_RECORDS_H
