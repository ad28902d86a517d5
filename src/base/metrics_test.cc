#include "base/metrics.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

TEST(MetricsTest, CountersAndGaugesRenderWithLabels) {
  Metrics m;
  m.DeclareCounter("madre_http_requests_total", "HTTP requests");
  m.Add("madre_http_requests_total", {{"route", "/state"}, {"code", "200"}});
  m.Add("madre_http_requests_total", {{"route", "/state"}, {"code", "200"}});
  m.DeclareGauge("madre_windows_open", "open windows");
  m.SetCallback("madre_windows_open", [] {
    return std::vector<std::pair<MetricLabels, double>>{{{}, 3}};
  });
  const std::string text = m.RenderText();
  EXPECT_NE(text.find("# TYPE madre_http_requests_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("madre_http_requests_total{code=\"200\",route=\"/state\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("madre_windows_open 3\n"), std::string::npos) << text;
  EXPECT_EQ(m.Value("madre_http_requests_total", {{"route", "/state"}, {"code", "200"}}), 2);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics m;
  m.DeclareHistogram("madre_window_ready_seconds", "time to ready", {0.5, 1, 5});
  m.Observe("madre_window_ready_seconds", {}, 0.3);
  m.Observe("madre_window_ready_seconds", {}, 2);
  const std::string text = m.RenderText();
  EXPECT_NE(text.find("madre_window_ready_seconds_bucket{le=\"0.5\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("madre_window_ready_seconds_bucket{le=\"1\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("madre_window_ready_seconds_bucket{le=\"5\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("madre_window_ready_seconds_bucket{le=\"+Inf\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("madre_window_ready_seconds_count 2\n"), std::string::npos) << text;
  EXPECT_EQ(m.Count("madre_window_ready_seconds"), 2u);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  Metrics m;
  m.DeclareCounter("c", "help");
  m.Add("c", {{"k", "a\"b\\c\nd"}});
  EXPECT_NE(m.RenderText().find("c{k=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos)
      << m.RenderText();
}

}  // namespace
}  // namespace madre
