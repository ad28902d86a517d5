#include "core/actor.h"

namespace madre {

std::string Actor::ToString() const {
  switch (kind) {
    case ActorKind::kClient:
      return client;
    case ActorKind::kTtl:
      return "ttl";
    case ActorKind::kReconcile:
      return "reconcile";
    case ActorKind::kMadre:
      return "madre";
    case ActorKind::kService:
      return "service";
    case ActorKind::kSoloMadre:
      return "solo_madre";
    case ActorKind::kEvents:
      return "events";
  }
  return "madre";
}

}  // namespace madre
