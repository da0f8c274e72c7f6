// Baseline for benchmarks/bench_run.py: the network of a scenario as a plain C++ ns-3 program,
// no Python at all. Same access points, channel, loss model, rate control (Minstrel), stations
// and mobility model (a straight walk or random waypoint).
//
// --frames=1 also puts on the air the frames the mobility protocols send periodically, at the
// same rates and sizes, with no protocol logic: every access point broadcasts a base-station
// beacon every --bsBeaconS and a DRCP advertisement every --advS, and every associated station
// sends a route-update to its access point every --ruS. That is imm-ns3's signalling load. The
// frames are IPv4/UDP datagrams that a socket at every station reads (--ipFrames=1, the default;
// 0: zeros that nothing above the MAC takes, the baseline of the rows before 2026-11-29).
//
// --traffic=1 carries the same data flows as imm-ns3, over IP, with the project's own C++
// generators (imm_ns3/adapter/cpp/traffic.h, included here): the downlink probe, RTP both ways for
// each call, the paced TCP transfer. The wired side is what a plain ns-3 user would build for
// a roaming network: every access point bridges its radio to one 100 Mbit/s Ethernet segment
// shared with the correspondent host (an 802.11 extended service set, one IP subnet; the
// bridges learn where a station is from its own frames, and filter as 802.1D does: ApBridge). No routing, no care-of addresses, no
// location management: the ratio against imm-ns3 prices exactly those.
//
// Per-station schedules: --calls=START:END,START:END,... (one per station, in order; a station
// with '-' has no call) and --tcpStarts=T,T,... ('-': no transfer).
// --roamUpdate=1 (default, with --traffic=1): after each (re)association the station sends a
// layer-2 update frame across the bridges, as an ESS does (IEEE 802.11F), see SendRoamUpdate.
// --guard=1 (default) installs imm-ns3's guard against late association responses
// (imm_ns3/adapter/cpp/assoc_guard.h): without it ns-3 3.44 aborts in StaWifiMac::ReceiveAssocResp
// on a congested channel, as this program does with 100 stations and traffic.
// Prints: wall_s associations frames probe_rx rtp_rx_down rtp_rx_up tcp_bytes_acked late_resp
//         ap_phy_tx sta_phy_tx ap_final_failures sta_final_failures roam_updates signalling_rx
#include "ns3/core-module.h"
#include "ns3/csma-module.h"
#include "ns3/internet-module.h"
#include "ns3/mobility-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/wifi-module.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <memory>
#include <sstream>
#include <string>

#include "../imm_ns3/adapter/cpp/bridge.h"  // what traffic.h requires
#include "../imm_ns3/adapter/cpp/traffic.h"
#include "../imm_ns3/adapter/cpp/assoc_guard.h"
#include "../imm_ns3/adapter/cpp/channel_scan.h"

using namespace ns3;

static uint64_t g_assoc = 0, g_frames = 0;
static void OnAssoc(Mac48Address) { ++g_assoc; }
// Frames put on the air, and data frames dropped after the last retry, by access points
// (index 0) and stations (1): what the two programs make the channel carry.
static uint64_t g_tx[2] = {0, 0}, g_failed[2] = {0, 0};
static void OnPhyTx(int who, Ptr<const Packet>, double) { ++g_tx[who]; }
static void OnFinalFail(int who, Mac48Address) { ++g_failed[who]; }
static void CountAir(NetDeviceContainer devs, int who) {
  for (uint32_t i = 0; i < devs.GetN(); ++i) {
    auto d = DynamicCast<WifiNetDevice>(devs.Get(i));
    d->GetPhy()->TraceConnectWithoutContext("PhyTxBegin", MakeBoundCallback(&OnPhyTx, who));
    d->GetRemoteStationManager()->TraceConnectWithoutContext(
        "MacTxFinalDataFailed", MakeBoundCallback(&OnFinalFail, who));
  }
}

// A periodic frame of `bytes` (an IPv4/UDP datagram's size) from `dev` to `to` (broadcast, or
// the station's access point), at the device: the air sees what imm-ns3's signalling sends.
// With --ipFrames=1 (the default) the frame is a well-formed IPv4/UDP datagram to port
// kSignallingPort, broadcast to 255.255.255.255 (to 10.0.255.254 towards an access point, which
// has no IP stack and drops it at the node), and every station's IP stack delivers it to a UDP
// socket that reads it: the receivers' work imm-ns3's hosts do for each periodic broadcast.
// With --ipFrames=0 the payload is zeros under ethertype IPv4 and nothing above the MAC takes it.
static bool g_ipFrames = true;
static const uint16_t kSignallingPort = 652;
static void Periodic(Ptr<WifiNetDevice> dev, bool toAp, Mac48Address to, uint32_t bytes,
                     Time every) {
  Mac48Address dst = to;
  bool send = true;
  if (toAp) {
    auto sta = DynamicCast<StaWifiMac>(dev->GetMac());
    send = sta->IsAssociated();
    if (send) dst = sta->GetBssid(0);
  }
  if (send) {
    Ptr<Packet> p;
    if (g_ipFrames) {
      p = Create<Packet>(bytes - 28);
      UdpHeader u;
      u.SetSourcePort(kSignallingPort);
      u.SetDestinationPort(kSignallingPort);
      p->AddHeader(u);
      Ipv4Header h;
      h.SetSource(Ipv4Address("10.0.255.1"));
      h.SetDestination(toAp ? Ipv4Address("10.0.255.254") : Ipv4Address::GetBroadcast());
      h.SetProtocol(UdpL4Protocol::PROT_NUMBER);
      h.SetPayloadSize(p->GetSize());
      h.SetTtl(1);
      p->AddHeader(h);
    } else {
      p = Create<Packet>(bytes);
    }
    if (dev->Send(p, dst, 0x0800)) ++g_frames;
  }
  Simulator::Schedule(every, &Periodic, dev, toAp, to, bytes, every);
}
static uint64_t g_signallingRx = 0;
static void DrainSignalling(Ptr<Socket> s) {
  while (s->Recv()) ++g_signallingRx;
}

// The roaming update of an extended service set (IEEE 802.11F's layer-2 update frame): right
// after a station (re)associates, a frame with the station's address as source crosses the
// distribution system, so that every bridge re-learns where the station is. Without it the
// old access point's bridge keeps the station on its radio port and sends the downlink into
// the old cell (7 retries per frame, then lost) until the station's next uplink frame, which a
// TCP download stalled that way never sends. Sent by the station, unicast to the correspondent
// (whose address every bridge has learned on its Ethernet port), so it costs one frame on the
// air and no broadcast; an ethertype nothing is registered for, so the correspondent drops it.
static uint64_t g_roamUpdates = 0;
static void SendRoamUpdate(Ptr<NetDevice> sta, Mac48Address to) {
  if (sta->Send(Create<Packet>(6), to, 0x88B5)) ++g_roamUpdates;
}
static void OnAssocRoam(Ptr<NetDevice> sta, Mac48Address to, Mac48Address) {
  Simulator::ScheduleNow(&SendRoamUpdate, sta, to);
}

// A learning bridge between an access point's radio and the Ethernet, as IEEE 802.1D has it: it
// learns each source address's port, forwards a unicast frame to the port its destination was
// learned on, floods an unknown destination, and FILTERS a frame whose destination is on the
// port it came from. ns-3 3.44's BridgeNetDevice does not filter: it floods such a frame. Since
// an ns-3 access point never forgets a station that roamed away, every downlink frame was then
// sent into every cell the station had ever visited, 7 retries each (2,819 frames in 25 s at
// 100 stations), and the baseline lost a quarter of its downlink where imm-ns3 lost none.
class ApBridge {
 public:
  ApBridge(Ptr<NetDevice> radio, Ptr<NetDevice> lan) : m_radio(radio), m_lan(lan) {
    for (auto& d : {radio, lan})
      d->GetNode()->RegisterProtocolHandler(MakeCallback(&ApBridge::Receive, this), 0, d, true);
  }

 private:
  void Receive(Ptr<NetDevice> in, Ptr<const Packet> p, uint16_t protocol, const Address& from,
               const Address& to, NetDevice::PacketType) {
    auto src = Mac48Address::ConvertFrom(from), dst = Mac48Address::ConvertFrom(to);
    m_port[src] = in;
    if (dst == Mac48Address::ConvertFrom(m_radio->GetAddress()) ||
        dst == Mac48Address::ConvertFrom(m_lan->GetAddress()))
      return;  // for the access point itself
    Ptr<NetDevice> out = in == m_radio ? m_lan : m_radio;
    if (!dst.IsGroup()) {
      auto it = m_port.find(dst);
      if (it != m_port.end() && it->second == in) return;  // filtered
    }
    out->SendFrom(p->Copy(), src, dst, protocol);
  }
  Ptr<NetDevice> m_radio, m_lan;
  std::map<Mac48Address, Ptr<NetDevice>> m_port;
};

static std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

int main(int argc, char** argv) {
  double duration = 50, tx = 16, expo = 3, ref = 40.05;
  uint32_t beaconUs = 102400, missed = 5, nSta = 1, run = 1;
  std::string aps = "0,0", mobility = "walk", area = "0,0,1,1";
  double x0 = 0, x1 = 400, speed = 10, start = 2, stagger = 0, minSpeed = 1, pause = 0;
  bool frames = false, traffic = false, guard = true, roamUpdate = true;
  double bsBeaconS = 0.1, advS = 0.5, ruS = 1.0;
  uint32_t bsBeaconBytes = 48, advBytes = 44, ruBytes = 40;
  double probePps = 0, probeStart = 1, rtpInterval = 0.02, tcpRateBps = 0;
  uint32_t probeBytes = 200, rtpPayload = 160, tcpSegment = 1400;
  uint64_t tcpBytes = 0;
  std::string calls, tcpStarts, apChannels;
  CommandLine cmd(__FILE__);
  cmd.AddValue("duration", "simulated seconds", duration);
  cmd.AddValue("txDbm", "transmit power", tx);
  cmd.AddValue("exponent", "log-distance exponent", expo);
  cmd.AddValue("refLoss", "log-distance reference loss at 1 m", ref);
  cmd.AddValue("beaconUs", "802.11 beacon interval", beaconUs);
  cmd.AddValue("maxMissed", "missed beacons before a station scans", missed);
  cmd.AddValue("aps", "access points x,y;x,y;...", aps);
  cmd.AddValue("apChannels", "each access point's channel, c,c,... (default: all on 1); with"
               " several, stations scan them all (imm_ns3/adapter/cpp/channel_scan.h)", apChannels);
  cmd.AddValue("stations", "number of stations", nSta);
  cmd.AddValue("run", "RngRun", run);
  cmd.AddValue("mobility", "walk or rwp", mobility);
  cmd.AddValue("x0", "walk: start x", x0);
  cmd.AddValue("x1", "walk: end x", x1);
  cmd.AddValue("speed", "walk: speed; rwp: maximum speed", speed);
  cmd.AddValue("start", "walk: start time", start);
  cmd.AddValue("stagger", "walk: station i starts i * stagger later", stagger);
  cmd.AddValue("area", "rwp: x_min,y_min,x_max,y_max", area);
  cmd.AddValue("minSpeed", "rwp: minimum speed", minSpeed);
  cmd.AddValue("pause", "rwp: pause", pause);
  cmd.AddValue("frames", "the stack's periodic frames on the air", frames);
  cmd.AddValue("bsBeaconS", "base-station beacon period", bsBeaconS);
  cmd.AddValue("bsBeaconBytes", "base-station beacon datagram bytes", bsBeaconBytes);
  cmd.AddValue("advS", "DRCP advertisement period", advS);
  cmd.AddValue("advBytes", "DRCP advertisement datagram bytes", advBytes);
  cmd.AddValue("ruS", "route-update period", ruS);
  cmd.AddValue("ruBytes", "route-update datagram bytes", ruBytes);
  cmd.AddValue("ipFrames", "frames: IPv4/UDP datagrams that every station's socket reads (1),"
               " or zeros nothing above the MAC takes (0)", g_ipFrames);
  cmd.AddValue("traffic", "carry the data flows over IP", traffic);
  cmd.AddValue("roamUpdate", "traffic: a layer-2 update frame after each (re)association",
              roamUpdate);
  cmd.AddValue("guard", "ignore late association responses (imm-ns3's assoc_guard.h)", guard);
  cmd.AddValue("probePps", "downlink probe packets per second (0: none)", probePps);
  cmd.AddValue("probeBytes", "probe payload", probeBytes);
  cmd.AddValue("probeStart", "probe start", probeStart);
  cmd.AddValue("rtpInterval", "RTP packet interval", rtpInterval);
  cmd.AddValue("rtpPayload", "RTP payload bytes", rtpPayload);
  cmd.AddValue("calls", "per station START:END or -", calls);
  cmd.AddValue("tcpStarts", "per station start time or -", tcpStarts);
  cmd.AddValue("tcpBytes", "bytes per transfer", tcpBytes);
  cmd.AddValue("tcpRateBps", "application rate (0: greedy)", tcpRateBps);
  cmd.AddValue("tcpSegment", "TCP segment size", tcpSegment);
  cmd.Parse(argc, argv);

  RngSeedManager::SetSeed(20021024);
  RngSeedManager::SetRun(run);
  std::vector<Vector> apPos;
  for (auto& p : Split(aps, ';')) {
    double x, y;
    std::sscanf(p.c_str(), "%lf,%lf", &x, &y);
    apPos.emplace_back(x, y, 0);
  }
  NodeContainer apNodes, stas, ch;
  apNodes.Create(apPos.size());
  stas.Create(nSta);
  ch.Create(1);

  YansWifiChannelHelper chan;
  chan.SetPropagationDelay("ns3::ConstantSpeedPropagationDelayModel");
  chan.AddPropagationLoss("ns3::LogDistancePropagationLossModel", "Exponent", DoubleValue(expo),
                          "ReferenceLoss", DoubleValue(ref));
  auto channel = chan.Create();
  WifiHelper wifi;
  wifi.SetStandard(WIFI_STANDARD_80211g);
  wifi.SetRemoteStationManager("ns3::MinstrelWifiManager");
  YansWifiPhyHelper phy;
  phy.SetChannel(channel);
  phy.Set("ChannelSettings", StringValue("{1, 20, BAND_2_4GHZ, 0}"));
  phy.Set("TxPowerStart", DoubleValue(tx));
  phy.Set("TxPowerEnd", DoubleValue(tx));
  WifiMacHelper mac;
  Ssid ssid("imm");
  mac.SetType("ns3::ApWifiMac", "Ssid", SsidValue(ssid), "BeaconInterval",
              TimeValue(MicroSeconds(beaconUs)));
  NetDeviceContainer apDevs;
  auto plan = Split(apChannels, ',');
  std::set<int> distinct;
  if (plan.empty()) {
    apDevs = wifi.Install(phy, mac, apNodes);
  } else {
    if (plan.size() != apPos.size()) {
      std::fprintf(stderr, "--apChannels: %zu channels for %zu access points\n", plan.size(),
                   apPos.size());
      return 2;
    }
    for (uint32_t i = 0; i < apNodes.GetN(); ++i) {
      distinct.insert(std::stoi(plan[i]));
      phy.Set("ChannelSettings", StringValue("{" + plan[i] + ", 20, BAND_2_4GHZ, 0}"));
      apDevs.Add(wifi.Install(phy, mac, apNodes.Get(i)));
    }
    // Stations start on the lowest channel an access point uses (imm-ns3: wifi.channel if an
    // access point uses it, else that one).
    phy.Set("ChannelSettings",
            StringValue("{" + std::to_string(*distinct.begin()) + ", 20, BAND_2_4GHZ, 0}"));
  }
  mac.SetType("ns3::StaWifiMac", "Ssid", SsidValue(ssid), "ActiveProbing", BooleanValue(true),
              "MaxMissedBeacons", UintegerValue(missed));
  if (distinct.size() > 1) {
    std::string scan;
    for (int c : distinct) scan += (scan.empty() ? "" : ",") + std::to_string(c);
    imm::RegisterChannelScan();
    mac.SetAssocManager("imm::ChannelScanAssocManager", "Channels", StringValue(scan));
  }
  auto staDevs = wifi.Install(phy, mac, stas);
  CountAir(apDevs, 0);
  CountAir(staDevs, 1);

  if (frames) {
    for (uint32_t i = 0; i < apDevs.GetN(); ++i) {
      auto dev = DynamicCast<WifiNetDevice>(apDevs.Get(i));
      // Spread over the first interval, as the stack's nodes start their timers.
      Simulator::Schedule(Seconds(bsBeaconS * (i + 1) / (apDevs.GetN() + 1)), &Periodic, dev,
                          false, Mac48Address::GetBroadcast(), bsBeaconBytes, Seconds(bsBeaconS));
      Simulator::Schedule(Seconds(advS * (i + 1) / (apDevs.GetN() + 1)), &Periodic, dev, false,
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
    // Without imm-ns3's guard against late association responses, ns-3 3.44 aborts in
    // StaWifiMac::ReceiveAssocResp on a congested channel (100 stations with traffic do).
    if (guard) imm::GuardAssociation(staDevs.Get(i));
  }

  // ---- mobility ----
  for (uint32_t i = 0; i < apNodes.GetN(); ++i) {
    auto mm = CreateObject<ConstantPositionMobilityModel>();
    mm->SetPosition(apPos[i]);
    apNodes.Get(i)->AggregateObject(mm);
  }
  ch.Get(0)->AggregateObject(CreateObject<ConstantPositionMobilityModel>());
  double ax0, ay0, ax1, ay1;
  std::sscanf(area.c_str(), "%lf,%lf,%lf,%lf", &ax0, &ay0, &ax1, &ay1);
  for (uint32_t i = 0; i < nSta; ++i) {
    if (mobility == "rwp") {
      auto alloc = CreateObject<RandomRectanglePositionAllocator>();
      std::ostringstream xs, ys, sp, pa;
      xs << "ns3::UniformRandomVariable[Min=" << ax0 << "|Max=" << ax1 << "]";
      ys << "ns3::UniformRandomVariable[Min=" << ay0 << "|Max=" << ay1 << "]";
      sp << "ns3::UniformRandomVariable[Min=" << minSpeed << "|Max=" << speed << "]";
      pa << "ns3::ConstantRandomVariable[Constant=" << pause << "]";
      alloc->SetAttribute("X", StringValue(xs.str()));
      alloc->SetAttribute("Y", StringValue(ys.str()));
      auto mm = CreateObject<RandomWaypointMobilityModel>();
      mm->SetAttribute("Speed", StringValue(sp.str()));
      mm->SetAttribute("Pause", StringValue(pa.str()));
      mm->SetAttribute("PositionAllocator", PointerValue(alloc));
      mm->SetPosition(alloc->GetNext());
      stas.Get(i)->AggregateObject(mm);
    } else {
      auto wm = CreateObject<WaypointMobilityModel>();
      stas.Get(i)->AggregateObject(wm);
      double t0 = start + i * stagger;
      wm->AddWaypoint(Waypoint(Seconds(0), Vector(x0, 0, 0)));
      if (t0 > 0) wm->AddWaypoint(Waypoint(Seconds(t0), Vector(x0, 0, 0)));
      wm->AddWaypoint(Waypoint(Seconds(t0 + (x1 - x0) / speed), Vector(x1, 0, 0)));
    }
  }

  // ---- the data flows, over IP ----
  std::vector<Ptr<imm::UdpFlowReceiver>> probeRx;
  std::vector<Ptr<imm::UdpFlowSender>> probeTx;
  std::vector<Ptr<imm::RtpSender>> rtpDown, rtpUp;
  std::vector<Ptr<imm::RtpSink>> rtpAtSta;
  Ptr<imm::RtpSink> rtpAtCh;
  std::vector<std::unique_ptr<ApBridge>> bridges;  // registered with the nodes until the end
  std::vector<Ptr<imm::TcpBulkSender>> tcpTx;
  std::vector<Ptr<imm::TcpSink>> tcpRx;
  if (traffic) {
    CsmaHelper csma;
    csma.SetChannelAttribute("DataRate", StringValue("100Mbps"));
    csma.SetChannelAttribute("Delay", TimeValue(MicroSeconds(5)));
    NodeContainer lan(ch);
    lan.Add(apNodes);
    auto lanDevs = csma.Install(lan);
    for (uint32_t i = 0; i < apNodes.GetN(); ++i)
      bridges.push_back(std::make_unique<ApBridge>(apDevs.Get(i), lanDevs.Get(i + 1)));
    InternetStackHelper internet;
    internet.Install(ch);
    internet.Install(stas);
    Ipv4AddressHelper ip("10.0.0.0", "255.255.0.0");
    ip.Assign(NetDeviceContainer(lanDevs.Get(0)));
    auto staIfs = ip.Assign(staDevs);
    uint32_t chIp = Ipv4Address("10.0.0.1").Get();
    // Static ARP entries, as for static routes: a flooded ARP request reaches every access
    // point at the same instant and they broadcast it in lockstep, so stations that hear two
    // cells lose it (the same collision imm-ns3's mmp.broadcast_jitter_s avoids).
    auto chArp = ch.Get(0)->GetObject<Ipv4L3Protocol>()->GetInterface(1)->GetArpCache();
    for (uint32_t i = 0; i < nSta; ++i) {
      auto e = chArp->Add(staIfs.GetAddress(i));
      e->SetMacAddress(staDevs.Get(i)->GetAddress());
      e->MarkPermanent();
      auto staArp = stas.Get(i)->GetObject<Ipv4L3Protocol>()->GetInterface(1)->GetArpCache();
      auto b = staArp->Add(Ipv4Address(chIp));
      b->SetMacAddress(lanDevs.Get(0)->GetAddress());
      b->MarkPermanent();
    }
    if (roamUpdate) {
      auto chMac = Mac48Address::ConvertFrom(lanDevs.Get(0)->GetAddress());
      for (uint32_t i = 0; i < nSta; ++i)
        DynamicCast<WifiNetDevice>(staDevs.Get(i))->GetMac()->TraceConnectWithoutContext(
            "Assoc", MakeBoundCallback(&OnAssocRoam, staDevs.Get(i), chMac));
    }
    auto callList = Split(calls, ','), tcpList = Split(tcpStarts, ',');
    uint32_t step = (uint32_t)std::lround(rtpInterval * 8000);
    rtpAtCh = Create<imm::RtpSink>(ch.Get(0), 40000);
    for (uint32_t i = 0; i < nSta; ++i) {
      uint32_t staIp = staIfs.GetAddress(i).Get();
      if (probePps > 0) {
        probeRx.push_back(Create<imm::UdpFlowReceiver>(stas.Get(i), 9000));
        auto s = Create<imm::UdpFlowSender>(ch.Get(0), 9000, 1.0 / probePps, probeBytes);
        s->SetDestination(staIp);
        s->Start(probeStart, duration - 1.0);
        probeTx.push_back(s);
      }
      if (i < callList.size() && callList[i] != "-") {
        double a, b;
        std::sscanf(callList[i].c_str(), "%lf:%lf", &a, &b);
        auto down = Create<imm::RtpSender>(ch.Get(0), 0, rtpInterval, rtpPayload, 0x1000 + i, step);
        auto up = Create<imm::RtpSender>(stas.Get(i), 0, rtpInterval, rtpPayload, 0x2000 + i, step);
        rtpAtSta.push_back(Create<imm::RtpSink>(stas.Get(i), 40002));
        down->SetDestination(staIp, 40002);
        up->SetDestination(chIp, 40000);
        Simulator::Schedule(Seconds(a), &imm::RtpSender::Start, down, b);
        Simulator::Schedule(Seconds(a), &imm::RtpSender::Start, up, b);
        rtpDown.push_back(down);
        rtpUp.push_back(up);
      }
      if (tcpBytes > 0 && i < tcpList.size() && tcpList[i] != "-") {
        auto tx = Create<imm::TcpBulkSender>(ch.Get(0), tcpBytes, tcpRateBps, tcpSegment);
        tcpRx.push_back(Create<imm::TcpSink>(stas.Get(i), 5001, 0.1));
        tx->Start(std::atof(tcpList[i].c_str()), staIp, 5001);
        tcpTx.push_back(tx);
      }
    }
  }

  // Every station reads the periodic broadcasts from a UDP socket, as imm-ns3's hosts do.
  std::vector<Ptr<Socket>> signallingRx;
  if (frames && g_ipFrames) {
    if (!traffic) {
      InternetStackHelper internet;
      internet.Install(stas);
      Ipv4AddressHelper ip("10.0.0.0", "255.255.0.0");
      ip.Assign(staDevs);
    }
    for (uint32_t i = 0; i < nSta; ++i) {
      auto s = Socket::CreateSocket(stas.Get(i), UdpSocketFactory::GetTypeId());
      s->SetAllowBroadcast(true);
      s->Bind(InetSocketAddress(Ipv4Address::GetAny(), kSignallingPort));
      s->SetRecvCallback(MakeCallback(&DrainSignalling));
      signallingRx.push_back(s);
    }
  }

  Simulator::Stop(Seconds(duration));
  auto w0 = std::chrono::steady_clock::now();
  Simulator::Run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  uint64_t probe = 0, down = 0, up = 0, acked = 0;
  for (auto& r : probeRx) probe += r->seqs.size();
  for (auto& r : rtpAtSta) down += r->seqs.size();
  if (rtpAtCh) up = rtpAtCh->seqs.size();
  for (auto& t : tcpTx) acked += t->acked;
  std::printf("%.6f %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n", wall,
              (unsigned long long)g_assoc, (unsigned long long)g_frames, (unsigned long long)probe,
              (unsigned long long)down, (unsigned long long)up, (unsigned long long)acked,
              (unsigned long long)imm::LateAssocResponsesDropped(), (unsigned long long)g_tx[0],
              (unsigned long long)g_tx[1], (unsigned long long)g_failed[0],
              (unsigned long long)g_failed[1], (unsigned long long)g_roamUpdates,
              (unsigned long long)g_signallingRx);
  for (auto& t : tcpTx) t->Close();
  for (auto& r : tcpRx) r->Close();
  for (auto& s : probeTx) s->Close();
  for (auto& r : probeRx) r->Close();
  for (auto& s : rtpDown) s->Close();
  for (auto& s : signallingRx) s->Close();
  for (auto& s : rtpUp) s->Close();
  for (auto& r : rtpAtSta) r->Close();
  if (rtpAtCh) rtpAtCh->Close();
  Simulator::Destroy();
  imm::ReleaseAssocGuards();
  return 0;
}
