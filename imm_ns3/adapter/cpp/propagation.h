// Log-normal shadowing for the WiFi channel (wifi.propagation.shadowing_db), compiled once per
// process after bridge.h when a scenario asks for it (adapter/builder.py).
//
// ns-3 3.44 has per-packet random loss (Random, Nakagami) but no shadowing that stays put while
// a radio stands still and changes as it moves. imm::ShadowingLossModel adds, to the loss of
// the model before it in the chain, one Gaussian term in dB per pair of radios (the same in
// both directions), correlated along the radios' movement as Gudmundson (1991) measured it:
// after the two radios have moved d metres in all since the term was last drawn,
//     S <- rho S + sqrt(1 - rho^2) sigma N(0, 1),   rho = exp(-d / decorrelation).
// Two radios that stand still keep their term for ever; a host walking at 1 m/s past an access
// point with a 20 m decorrelation distance sees a new independent value every 20 m or so.
//
// Called for every frame and every radio on the channel: a map lookup and, only when one of the
// two has moved, one normal draw (stream assigned through YansWifiChannelHelper::AssignStreams).
// Pairs are keyed by their mobility models' addresses, which live as long as the channel.

#ifndef IMM_PROPAGATION_H
#define IMM_PROPAGATION_H

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>

namespace imm {

class ShadowingLossModel : public ns3::PropagationLossModel {
 public:
  static ns3::TypeId GetTypeId() {
    static ns3::TypeId tid =
        ns3::TypeId("imm::ShadowingLossModel")
            .SetParent<ns3::PropagationLossModel>()
            .SetGroupName("imm")
            .AddConstructor<ShadowingLossModel>()
            .AddAttribute("Sigma", "Standard deviation of the shadowing term (dB).",
                          ns3::DoubleValue(0.0),
                          ns3::MakeDoubleAccessor(&ShadowingLossModel::m_sigma),
                          ns3::MakeDoubleChecker<double>(0.0))
            .AddAttribute("Decorrelation", "Distance moved over which the term decorrelates to 1/e (m).",
                          ns3::DoubleValue(20.0),
                          ns3::MakeDoubleAccessor(&ShadowingLossModel::m_decorrelation),
                          ns3::MakeDoubleChecker<double>(1e-6));
    return tid;
  }
  ShadowingLossModel() : m_normal(ns3::CreateObject<ns3::NormalRandomVariable>()) {
    m_normal->SetAttribute("Mean", ns3::DoubleValue(0.0));
    m_normal->SetAttribute("Variance", ns3::DoubleValue(1.0));
  }
  mutable uint64_t draws = 0;  // normal draws so far (tests)

  // The term between two mobility models now (the last value drawn, or 0 if never drawn).
  double Current(ns3::Ptr<ns3::MobilityModel> a, ns3::Ptr<ns3::MobilityModel> b) const {
    auto it = m_state.find(Key(ns3::PeekPointer(a), ns3::PeekPointer(b)));
    return it == m_state.end() ? 0.0 : it->second.s;
  }

 private:
  struct State {
    double s;
    ns3::Vector pa, pb;
  };
  using PairKey = std::pair<const ns3::MobilityModel*, const ns3::MobilityModel*>;
  static PairKey Key(const ns3::MobilityModel* a, const ns3::MobilityModel* b) {
    return std::less<const ns3::MobilityModel*>()(a, b) ? PairKey(a, b) : PairKey(b, a);
  }

  double DoCalcRxPower(double txPowerDbm, ns3::Ptr<ns3::MobilityModel> a,
                       ns3::Ptr<ns3::MobilityModel> b) const override {
    if (m_sigma <= 0) return txPowerDbm;
    // Canonical order, so that a -> b and b -> a share one term and one history. The order of
    // two addresses differs between processes, but only as a key: nothing iterates the map.
    PairKey key = Key(ns3::PeekPointer(a), ns3::PeekPointer(b));
    ns3::Vector pa = key.first->GetPosition(), pb = key.second->GetPosition();
    auto it = m_state.find(key);
    if (it == m_state.end()) {
      ++draws;
      double s = m_sigma * m_normal->GetValue();
      m_state.emplace(key, State{s, pa, pb});
      return txPowerDbm - s;
    }
    State& st = it->second;
    double d = ns3::CalculateDistance(pa, st.pa) + ns3::CalculateDistance(pb, st.pb);
    if (d > 0) {
      double rho = std::exp(-d / m_decorrelation);
      ++draws;
      st.s = rho * st.s + std::sqrt(1 - rho * rho) * m_sigma * m_normal->GetValue();
      st.pa = pa;
      st.pb = pb;
    }
    return txPowerDbm - st.s;
  }
  int64_t DoAssignStreams(int64_t stream) override {
    m_normal->SetStream(stream);
    return 1;
  }

  double m_sigma = 0.0, m_decorrelation = 20.0;
  ns3::Ptr<ns3::NormalRandomVariable> m_normal;
  mutable std::map<PairKey, State> m_state;
};

}  // namespace imm

#endif  // IMM_PROPAGATION_H
