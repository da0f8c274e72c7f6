// Building the network (adapter/builder.py only): links, LANs, the YANS channel, access points
// and stations, positions and waypoint walks, one C++ call per element.

#ifndef IMM_BUILDER_H
#define IMM_BUILDER_H

#include <cstdint>
#include <deque>
#include <string>

namespace imm {

// ---- Building the network: one C++ call per element -----------------------------------------
// Each distinct ns-3 function a process first calls from Python costs cppyy a compiled wrapper
// (30-60 ms; the helpers' variadic SetType / Set / AddPropagationLoss more). The builder's
// elements are made here with the same helper calls in the same order as a plain ns-3 program,
// so the objects, their ids and their random streams are what they were when Python made them.

// The PHY of a WiFi device (wifi.loss sets its post-reception error model).
inline ns3::Ptr<ns3::WifiPhy> WifiPhyOf(ns3::Ptr<ns3::NetDevice> dev) {
  return ns3::DynamicCast<ns3::WifiNetDevice>(dev)->GetPhy();
}

// A timed position of a waypoint walk (one call per point instead of three wrappers' worth).
inline void AddWaypoint(ns3::Ptr<ns3::WaypointMobilityModel> mm, int64_t t_ns, double x, double y,
                        double z) {
  mm->AddWaypoint(ns3::Waypoint(ns3::NanoSeconds(t_ns), ns3::Vector(x, y, z)));
}

// A point-to-point link; pcap files where the paths are not empty.
inline ns3::NetDeviceContainer InstallP2p(ns3::Ptr<ns3::Node> a, ns3::Ptr<ns3::Node> b, const char* rate,
                                          const char* delay, const char* pcap_a, const char* pcap_b) {
  ns3::PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", ns3::StringValue(rate));
  p2p.SetChannelAttribute("Delay", ns3::StringValue(delay));
  auto devs = p2p.Install(a, b);
  if (*pcap_a) p2p.EnablePcap(pcap_a, devs.Get(0), false, true);
  if (*pcap_b) p2p.EnablePcap(pcap_b, devs.Get(1), false, true);
  return devs;
}

// A CSMA LAN of `members`; `pcaps` holds one path per member, '\n'-separated ("" for none).
inline ns3::NetDeviceContainer InstallCsma(ns3::NodeContainer members, const char* rate,
                                           const char* delay, const char* pcaps) {
  ns3::CsmaHelper csma;
  csma.SetChannelAttribute("DataRate", ns3::StringValue(rate));
  csma.SetChannelAttribute("Delay", ns3::StringValue(delay));
  auto devs = csma.Install(members);
  std::string all(pcaps);
  size_t start = 0;
  for (uint32_t i = 0; i < devs.GetN() && start < all.size(); ++i) {
    size_t end = all.find('\n', start);
    if (end == std::string::npos) end = all.size();
    if (end > start) csma.EnablePcap(all.substr(start, end - start), devs.Get(i), false, true);
    start = end + 1;
  }
  return devs;
}

// The YANS channel: a log-distance (a = exponent, b = reference loss dB), Friis (a = Hz) or
// range (a = metres) loss, then shadowing (imm::ShadowingLossModel, registered by Python from
// propagation.h) if sigma > 0, then Nakagami fading with m if m > 0.
inline ns3::Ptr<ns3::YansWifiChannel> MakeYansChannel(const char* model, double a, double b,
                                                      double sigma, double decorrelation_m,
                                                      double fading_m) {
  ns3::YansWifiChannelHelper ch;
  ch.SetPropagationDelay("ns3::ConstantSpeedPropagationDelayModel");
  std::string m(model);
  if (m == "log_distance")
    ch.AddPropagationLoss("ns3::LogDistancePropagationLossModel", "Exponent", ns3::DoubleValue(a),
                          "ReferenceLoss", ns3::DoubleValue(b));
  else if (m == "friis")
    ch.AddPropagationLoss("ns3::FriisPropagationLossModel", "Frequency", ns3::DoubleValue(a));
  else
    ch.AddPropagationLoss("ns3::RangePropagationLossModel", "MaxRange", ns3::DoubleValue(a));
  if (sigma > 0)
    ch.AddPropagationLoss("imm::ShadowingLossModel", "Sigma", ns3::DoubleValue(sigma),
                          "Decorrelation", ns3::DoubleValue(decorrelation_m));
  if (fading_m > 0)
    ch.AddPropagationLoss("ns3::NakagamiPropagationLossModel", "m0", ns3::DoubleValue(fading_m),
                          "m1", ns3::DoubleValue(fading_m), "m2", ns3::DoubleValue(fading_m));
  return ch.Create();
}

// Access points and stations on one YANS channel, one WifiHelper; keeps each radio's PHY helper
// (its pcap writer) for the run and every device in installation order (for AssignStreams).
class WifiInstaller : public ns3::SimpleRefCount<WifiInstaller> {
 public:
  // `mode`: the ConstantRateWifiManager's data and control mode ("" for other managers).
  WifiInstaller(ns3::Ptr<ns3::YansWifiChannel> channel, int standard, const char* manager,
                const char* mode, const char* channel_settings, const char* ssid)
      : m_channel(channel), m_settings(channel_settings), m_ssid(ssid) {
    m_wifi.SetStandard(static_cast<ns3::WifiStandard>(standard));
    if (*mode)
      m_wifi.SetRemoteStationManager(manager, "DataMode", ns3::StringValue(mode), "ControlMode",
                                     ns3::StringValue(mode));
    else
      m_wifi.SetRemoteStationManager(manager);
  }
  // `channel_settings`: this access point's channel ("" for the installer's).
  ns3::Ptr<ns3::NetDevice> Ap(ns3::Ptr<ns3::Node> node, double tx_dbm, int64_t beacon_us,
                              const char* channel_settings, const char* pcap) {
    auto& phy = Phy(tx_dbm);
    if (*channel_settings) phy.Set("ChannelSettings", ns3::StringValue(channel_settings));
    ns3::WifiMacHelper mac;
    mac.SetType("ns3::ApWifiMac", "Ssid", ns3::SsidValue(m_ssid), "BeaconInterval",
                ns3::TimeValue(ns3::MicroSeconds(beacon_us)));
    return Done(phy, m_wifi.Install(phy, mac, node).Get(0), pcap);
  }
  // min_rssi_dbm: a ThresholdPreambleDetectionModel's MinimumRssi, or NaN for ns-3's default.
  // scan_channels: "1,6,11" for a station that scans those channels (channel_scan.h, compiled
  // and registered first), "" for ns-3's default manager (its own channel only).
  ns3::Ptr<ns3::NetDevice> Sta(ns3::Ptr<ns3::Node> node, double tx_dbm, bool active_probing,
                               uint32_t max_missed, int64_t probe_timeout_us, double min_rssi_dbm,
                               const char* scan_channels, const char* pcap) {
    auto& phy = Phy(tx_dbm);
    if (min_rssi_dbm == min_rssi_dbm)  // not NaN
      phy.SetPreambleDetectionModel("ns3::ThresholdPreambleDetectionModel", "MinimumRssi",
                                    ns3::DoubleValue(min_rssi_dbm));
    ns3::WifiMacHelper mac;
    mac.SetType("ns3::StaWifiMac", "Ssid", ns3::SsidValue(m_ssid), "ActiveProbing",
                ns3::BooleanValue(active_probing), "MaxMissedBeacons", ns3::UintegerValue(max_missed),
                "ProbeRequestTimeout", ns3::TimeValue(ns3::MicroSeconds(probe_timeout_us)));
    if (*scan_channels)
      mac.SetAssocManager("imm::ChannelScanAssocManager", "Channels", ns3::StringValue(scan_channels));
    return Done(phy, m_wifi.Install(phy, mac, node).Get(0), pcap);
  }
  int64_t AssignStreams(int64_t stream) { return m_wifi.AssignStreams(m_all, stream); }
  int64_t AssignChannelStreams(int64_t stream) { return m_channel->AssignStreams(stream); }
  ns3::NetDeviceContainer Devices() const { return m_all; }

 private:
  ns3::YansWifiPhyHelper& Phy(double tx_dbm) {
    m_phys.emplace_back();
    auto& phy = m_phys.back();
    phy.SetChannel(m_channel);
    phy.Set("ChannelSettings", ns3::StringValue(m_settings));
    phy.Set("TxPowerStart", ns3::DoubleValue(tx_dbm));
    phy.Set("TxPowerEnd", ns3::DoubleValue(tx_dbm));
    phy.SetPcapDataLinkType(ns3::WifiPhyHelper::DLT_IEEE802_11_RADIO);
    return phy;
  }
  ns3::Ptr<ns3::NetDevice> Done(ns3::YansWifiPhyHelper& phy, ns3::Ptr<ns3::NetDevice> dev,
                                const char* pcap) {
    m_all.Add(dev);
    if (*pcap) phy.EnablePcap(pcap, dev, false, true);
    return dev;
  }
  ns3::Ptr<ns3::YansWifiChannel> m_channel;
  std::string m_settings;
  ns3::Ssid m_ssid;
  ns3::WifiHelper m_wifi;
  std::deque<ns3::YansWifiPhyHelper> m_phys;  // stable addresses
  ns3::NetDeviceContainer m_all;
};

// A node that stands still at (x, y, z).
inline ns3::Ptr<ns3::MobilityModel> PlaceAt(ns3::Ptr<ns3::Node> node, double x, double y, double z) {
  auto mm = ns3::CreateObject<ns3::ConstantPositionMobilityModel>();
  mm->SetPosition(ns3::Vector(x, y, z));
  node->AggregateObject(mm);
  return mm;
}

// A node on a waypoint walk (points added with AddWaypoint).
inline ns3::Ptr<ns3::WaypointMobilityModel> NewWaypointModel(ns3::Ptr<ns3::Node> node) {
  auto mm = ns3::CreateObject<ns3::WaypointMobilityModel>();
  node->AggregateObject(mm);
  return mm;
}

}  // namespace imm

#endif  // IMM_BUILDER_H
