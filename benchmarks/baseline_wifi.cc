// Baseline for benchmarks/bench_run.py: the radio part of a scenario as a plain C++ ns-3
// program (same APs, channel, loss model, stations and waypoint walks; no Python at all).
// With FRAMES=1 it also puts on the air the frames the mobility protocols send periodically,
// at the same rates and sizes, with no IP stack and no protocol logic: every access point
// broadcasts a base-station beacon every BS_BEACON_S and a DRCP advertisement every ADV_S, and
// every associated station sends a route-update to its access point every RU_S. That is the
// same network load as imm-ns3's signalling, so the comparison prices only the stack's work.
// Usage: baseline_wifi DURATION_S TX_DBM EXPONENT REF_LOSS_DB BEACON_US MAX_MISSED
//                      START_S STAGGER_S SPEED_MPS N_STA X0 X1
//                      FRAMES BS_BEACON_S BS_BEACON_BYTES ADV_S ADV_BYTES RU_S RU_BYTES
//                      AP_X,AP_Y ...
#include "ns3/core-module.h"
#include "ns3/mobility-module.h"
#include "ns3/network-module.h"
#include "ns3/wifi-module.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

using namespace ns3;

static uint64_t g_assoc = 0, g_frames = 0;
static void OnAssoc(Mac48Address) { ++g_assoc; }

// A periodic frame of `bytes` (an IPv4/UDP datagram's size) from `dev` to `to` (broadcast, or
// the station's access point), at the device: the air sees what imm-ns3's signalling sends.
static void Periodic(Ptr<WifiNetDevice> dev, bool toAp, Mac48Address to, uint32_t bytes,
                     Time every) {
  Mac48Address dst = to;
  bool send = true;
  if (toAp) {
    auto sta = DynamicCast<StaWifiMac>(dev->GetMac());
    send = sta->IsAssociated();
    if (send) dst = sta->GetBssid(0);
  }
  if (send && dev->Send(Create<Packet>(bytes), dst, 0x0800)) ++g_frames;
  Simulator::Schedule(every, &Periodic, dev, toAp, to, bytes, every);
}

int main(int argc, char** argv) {
  if (argc < 21) { std::fprintf(stderr, "usage: see source\n"); return 2; }
  double duration = atof(argv[1]), tx = atof(argv[2]), expo = atof(argv[3]), ref = atof(argv[4]);
  int beaconUs = atoi(argv[5]), missed = atoi(argv[6]);
  double start = atof(argv[7]), stagger = atof(argv[8]), speed = atof(argv[9]);
  int nSta = atoi(argv[10]);
  double x0 = atof(argv[11]), x1 = atof(argv[12]);
  bool frames = atoi(argv[13]) != 0;
  double bsBeaconS = atof(argv[14]), advS = atof(argv[16]), ruS = atof(argv[18]);
  uint32_t bsBeaconBytes = atoi(argv[15]), advBytes = atoi(argv[17]), ruBytes = atoi(argv[19]);
  RngSeedManager::SetSeed(20021024);
  RngSeedManager::SetRun(1);
  NodeContainer aps, stas;
  std::vector<Vector> apPos;
  for (int i = 20; i < argc; ++i) {
    double x, y;
    std::sscanf(argv[i], "%lf,%lf", &x, &y);
    apPos.emplace_back(x, y, 0);
  }
  aps.Create(apPos.size());
  stas.Create(nSta);
  YansWifiChannelHelper ch;
  ch.SetPropagationDelay("ns3::ConstantSpeedPropagationDelayModel");
  ch.AddPropagationLoss("ns3::LogDistancePropagationLossModel", "Exponent", DoubleValue(expo),
                        "ReferenceLoss", DoubleValue(ref));
  auto channel = ch.Create();
  WifiHelper wifi;
  wifi.SetStandard(WIFI_STANDARD_80211g);
  YansWifiPhyHelper phy;
  phy.SetChannel(channel);
  phy.Set("ChannelSettings", StringValue("{1, 20, BAND_2_4GHZ, 0}"));
  phy.Set("TxPowerStart", DoubleValue(tx));
  phy.Set("TxPowerEnd", DoubleValue(tx));
  WifiMacHelper mac;
  Ssid ssid("imm");
  mac.SetType("ns3::ApWifiMac", "Ssid", SsidValue(ssid), "BeaconInterval",
              TimeValue(MicroSeconds(beaconUs)));
  wifi.Install(phy, mac, aps);
  mac.SetType("ns3::StaWifiMac", "Ssid", SsidValue(ssid), "ActiveProbing", BooleanValue(true),
              "MaxMissedBeacons", UintegerValue(missed));
  auto staDevs = wifi.Install(phy, mac, stas);
  if (frames) {
    auto apDevs = NodeContainer(aps);
    for (uint32_t i = 0; i < aps.GetN(); ++i) {
      auto dev = DynamicCast<WifiNetDevice>(aps.Get(i)->GetDevice(0));
      // Spread over the first interval, as the stack's nodes start their timers.
      Simulator::Schedule(Seconds(bsBeaconS * (i + 1) / (aps.GetN() + 1)), &Periodic, dev, false,
                          Mac48Address::GetBroadcast(), bsBeaconBytes, Seconds(bsBeaconS));
      Simulator::Schedule(Seconds(advS * (i + 1) / (aps.GetN() + 1)), &Periodic, dev, false,
                          Mac48Address::GetBroadcast(), advBytes, Seconds(advS));
    }
    for (uint32_t i = 0; i < staDevs.GetN(); ++i) {
      auto dev = DynamicCast<WifiNetDevice>(staDevs.Get(i));
      Simulator::Schedule(Seconds(ruS * (i + 1) / (staDevs.GetN() + 1)), &Periodic, dev, true,
                          Mac48Address::GetBroadcast(), ruBytes, Seconds(ruS));
    }
  }
  for (uint32_t i = 0; i < staDevs.GetN(); ++i) {
    auto m = DynamicCast<WifiNetDevice>(staDevs.Get(i))->GetMac();
    m->TraceConnectWithoutContext("Assoc", MakeCallback(&OnAssoc));
  }
  for (uint32_t i = 0; i < aps.GetN(); ++i) {
    auto mm = CreateObject<ConstantPositionMobilityModel>();
    mm->SetPosition(apPos[i]);
    aps.Get(i)->AggregateObject(mm);
  }
  for (int i = 0; i < nSta; ++i) {
    auto wm = CreateObject<WaypointMobilityModel>();
    stas.Get(i)->AggregateObject(wm);
    double t0 = start + i * stagger;
    wm->AddWaypoint(Waypoint(Seconds(0), Vector(x0, 0, 0)));
    if (t0 > 0) wm->AddWaypoint(Waypoint(Seconds(t0), Vector(x0, 0, 0)));
    wm->AddWaypoint(Waypoint(Seconds(t0 + (x1 - x0) / speed), Vector(x1, 0, 0)));
  }
  Simulator::Stop(Seconds(duration));
  auto w0 = std::chrono::steady_clock::now();
  Simulator::Run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  std::printf("%.6f %llu %llu\n", wall, (unsigned long long)g_assoc, (unsigned long long)g_frames);
  Simulator::Destroy();
  return 0;
}
