// Who caused an action or the close of a window: a client (by its address) or madre itself.
// Travels from the planner to the engine's audit records, so that nobody re-derives it from a
// string or a close reason.
#pragma once

#include <string>
#include <utility>

namespace madre {

enum class ActorKind { kClient, kTtl, kReconcile, kMadre, kService, kSoloMadre, kEvents };

struct Actor {
  ActorKind kind = ActorKind::kMadre;
  std::string client;  // kClient: the client's address

  Actor() = default;
  Actor(ActorKind k) : kind(k) {}  // NOLINT(google-explicit-constructor): Actor(ActorKind::kTtl)
  static Actor Client(std::string address) {
    Actor actor(ActorKind::kClient);
    actor.client = std::move(address);
    return actor;
  }
  // madre's own housekeeping (a reconcile, or converging after a result or a tick): work it
  // does for no window and no client is audited as `reconcile.*`.
  bool Housekeeping() const { return kind == ActorKind::kReconcile || kind == ActorKind::kMadre; }
  // The audit and log string: the client's address, or ttl, reconcile, madre, service,
  // solo_madre, events (the wire strings of before).
  std::string ToString() const;

  friend bool operator==(const Actor&, const Actor&) = default;
};

}  // namespace madre
