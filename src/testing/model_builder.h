// A ServiceModel for tests, written as the compose file would say it: each service and what it
// depends_on.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "core/model.h"

namespace madre {

struct ServiceSketch {
  std::string name;
  std::vector<std::string> depends_on;
};

inline ServiceModel ModelOf(std::initializer_list<ServiceSketch> services) {
  ServiceModel model;
  for (const ServiceSketch& s : services) {
    ServiceDef& def = model.services[s.name];
    def.name = s.name;
    def.depends_on = s.depends_on;
  }
  return model;
}

}  // namespace madre
