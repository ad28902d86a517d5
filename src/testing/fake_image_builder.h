// Fakes of the image ports, for engine tests: image ids by name, and a builder that gives the
// built image a new id (or fails, on demand). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ports/image_builder.h"
#include "ports/image_inspector.h"

namespace madre {

class FakeImageInspector final : public ImageInspector {
 public:
  Result<std::string> ImageId(const std::string& name) override {
    std::lock_guard lock(mu_);
    asked_.push_back(name);
    if (fail_) return Status::Unavailable("injected image inspect failure");
    auto it = ids_.find(name);
    return it == ids_.end() ? std::string() : it->second;
  }
  Status TagImage(const std::string& source, const std::string& target) override {
    std::lock_guard lock(mu_);
    if (fail_) return Status::Unavailable("injected image tag failure");
    auto it = ids_.find(source);
    if (it == ids_.end()) return Status::NotFound("no such image: " + source);
    ids_[target] = it->second;
    return Status::Ok();
  }
  Status RemoveImageName(const std::string& name) override {
    std::lock_guard lock(mu_);
    if (fail_) return Status::Unavailable("injected image removal failure");
    ids_.erase(name);
    return Status::Ok();
  }
  void SetImage(const std::string& name, const std::string& id) {
    std::lock_guard lock(mu_);
    ids_[name] = id;
  }
  void set_fail(bool fail) {
    std::lock_guard lock(mu_);
    fail_ = fail;
  }
  // Every name ImageId was asked for, in order.
  std::vector<std::string> asked() const {
    std::lock_guard lock(mu_);
    return asked_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> ids_;
  std::vector<std::string> asked_;
  bool fail_ = false;
};

// Build(): the image id before from `images`; unless FailNext() was called, the image gets a new
// id ("sha256:built-N") and the outcome is ok; the log is not written.
class FakeImageBuilder final : public ImageBuilder {
 public:
  explicit FakeImageBuilder(FakeImageInspector& images) : images_(images) {}

  Result<BuildOutcome> Build(const BuildRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    BuildOutcome outcome;
    ASSIGN_OR_RETURN(outcome.image_before, images_.ImageId(request.image));
    outcome.duration_ms = 1500;
    if (fail_next_) {
      fail_next_ = false;
      outcome.error = "injected build failure";
      outcome.image_after = outcome.image_before;
      return outcome;
    }
    images_.SetImage(request.image, "sha256:built-" + std::to_string(++built_));
    ASSIGN_OR_RETURN(outcome.image_after, images_.ImageId(request.image));
    outcome.ok = true;
    return outcome;
  }
  void FailNext() {
    std::lock_guard lock(mu_);
    fail_next_ = true;
  }
  std::vector<BuildRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  FakeImageInspector& images_;
  mutable std::mutex mu_;
  std::vector<BuildRequest> requests_;
  bool fail_next_ = false;
  int built_ = 0;
};

}  // namespace madre
