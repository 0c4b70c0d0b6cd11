#include "beyondtrust_exporter/snapshot.hpp"

#include <algorithm>
#include <utility>

namespace beyondtrust_exporter {

void SnapshotStore::publish(std::shared_ptr<const ApplianceSnapshot> snapshot) {
  ++generation_;
  for (auto& existing : snapshots_) {
    if (existing->appliance == snapshot->appliance) {
      existing = std::move(snapshot);
      return;
    }
  }
  snapshots_.push_back(std::move(snapshot));
}

void SnapshotStore::remove(const std::string& appliance) {
  ++generation_;
  std::erase_if(snapshots_, [&](const auto& snapshot) {
    return snapshot->appliance == appliance;
  });
}

void SnapshotStore::reorder(const std::vector<std::string>& appliances) {
  ++generation_;
  auto rank = [&](const auto& snapshot) {
    auto it =
        std::find(appliances.begin(), appliances.end(), snapshot->appliance);
    return static_cast<std::size_t>(it - appliances.begin());
  };
  std::stable_sort(
      snapshots_.begin(), snapshots_.end(),
      [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
}

std::shared_ptr<const ApplianceSnapshot> SnapshotStore::find(
    const std::string& appliance) const {
  for (const auto& snapshot : snapshots_) {
    if (snapshot->appliance == appliance) {
      return snapshot;
    }
  }
  return nullptr;
}

}  // namespace beyondtrust_exporter
