// top_k: every `rebalance_every` timestamps, rank the assets with a bar and a signal by
// the signal (ties: lower AssetId first, so runs are deterministic) and hold the top k
// long — and, for side both, the bottom k short; side short holds only the bottom k
// short. Each holding targets weight_per_asset of equity, or gross_exposure / k; for
// side both the gross is split evenly across the two books (gross_exposure / (2k) per
// asset). The book moves in one Strategy::rebalance: positions that drop out are closed,
// held ones resized, sells before buys, additions scaled to the buying power. Gates (min_confidence, context_filters) block only new entries.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/strategies/builtin_common.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest::builtin {

namespace {

class TopK final : public Strategy {
 public:
  TopK(const StrategySpec& spec, FieldId signal, EntryGates gates)
      : signal_(signal),
        gates_(std::move(gates)),
        long_(spec.side != StrategySide::kShort),
        short_(spec.side != StrategySide::kLong),
        k_(static_cast<size_t>(spec.k)),
        every_(static_cast<uint64_t>(spec.rebalance_every)) {
    const double books = long_ && short_ ? 2.0 : 1.0;
    weight_ = spec.weight_per_asset.value_or(spec.gross_exposure / (books * static_cast<double>(spec.k)));
  }

  void on_timestamp(const TimestampGroup& group) override {
    if (bars_++ % every_ != 0) return;
    const Batch& batch = group.batch();
    const auto signal = batch.signal_column(signal_);
    ranked_.clear();
    for (uint32_t row = group.row_begin(); row < group.row_end(); ++row) {
      if (!std::isnan(signal[row])) ranked_.push_back({signal[row], batch.asset()[row], row});
    }
    std::sort(ranked_.begin(), ranked_.end(), [](const Ranked& a, const Ranked& b) {
      return a.score != b.score ? a.score > b.score : a.asset < b.asset;
    });
    const size_t n = ranked_.size();
    const size_t n_long = long_ ? std::min(k_, n) : 0;
    const size_t n_short = short_ ? std::min(k_, n - n_long) : 0;

    // The whole book in one rebalance: unselected holdings close, sells go before buys
    // and the result does not depend on the ranking's order. A new entry (or a flip to
    // the other book) must pass the gates; a holding kept on its side is only resized.
    const bool context_ok = gates_.context_allows(batch, group.group());
    targets_.clear();
    auto want = [&](const Ranked& r, double w) {
      const double pos = position(r.asset);
      const bool held = pos != 0 && (pos > 0) == (w > 0);
      if (held || (context_ok && gates_.confidence_allows(batch, r.row))) targets_.push_back({r.asset, w});
    };
    for (size_t i = 0; i < n_long; ++i) want(ranked_[i], weight_);
    for (size_t i = n - n_short; i < n; ++i) want(ranked_[i], -weight_);
    rebalance(targets_);
  }

 private:
  struct Ranked {
    double score;
    AssetId asset;
    uint32_t row;
  };
  FieldId signal_;
  EntryGates gates_;
  bool long_, short_;
  size_t k_;
  uint64_t every_;
  double weight_ = 0;
  uint64_t bars_ = 0;
  std::vector<Ranked> ranked_;         //!< reused each rebalance
  std::vector<TargetWeight> targets_;  //!< reused each rebalance
};

}  // namespace

std::unique_ptr<Strategy> make_top_k(const StrategySpec& spec, const Schema& schema) {
  const FieldId signal = resolve_signal(spec, schema);
  if (spec.k < 1) throw ConfigError(fmt::format("strategy.k: {} is out of range; hold at least 1 asset", spec.k));
  if (spec.rebalance_every < 1) {
    throw ConfigError(
        fmt::format("strategy.rebalance_every: {} is out of range; use a number of bars >= 1", spec.rebalance_every));
  }
  if (spec.weight_per_asset && !(*spec.weight_per_asset > 0)) {
    throw ConfigError(fmt::format("strategy.weight_per_asset: {} is out of range; use a fraction of equity > 0",
                                  *spec.weight_per_asset));
  }
  if (!(spec.gross_exposure > 0)) {
    throw ConfigError(fmt::format("strategy.gross_exposure: {} is out of range; use a fraction of equity > 0, e.g. 1.0",
                                  spec.gross_exposure));
  }
  return std::make_unique<TopK>(spec, signal, resolve_gates(spec, schema));
}

}  // namespace ml4t::backtest::builtin
