#include <limits>
#include <string>

#include <doctest/doctest.h>

#include <berth/util/metrics.h>

using namespace berth::metrics;

TEST_CASE("metrics: a family shows HELP and TYPE before its first series") {
    Registry registry;
    registry.declare("demo_total", Kind::counter, "Demo events", {"kind"});
    std::string out;
    registry.render(out);
    CHECK(out == "# HELP demo_total Demo events\n# TYPE demo_total counter\n");
}

TEST_CASE("metrics: series are made at zero, kept, and shown in label order") {
    Registry registry;
    registry.declare("demo_total", Kind::counter, "Demo events", {"kind"});
    Series& blob = registry.counter("demo_total", {"blob"});
    blob.add(2);
    registry.counter("demo_total", {"manifest"});
    CHECK(&registry.counter("demo_total", {"blob"}) == &blob);
    std::string out;
    registry.render(out);
    CHECK(out == "# HELP demo_total Demo events\n# TYPE demo_total counter\n"
                 "demo_total{kind=\"blob\"} 2\ndemo_total{kind=\"manifest\"} 0\n");
}

TEST_CASE("metrics: a summary shows its sum and count") {
    Registry registry;
    registry.declare("demo_seconds", Kind::summary, "Demo time");
    registry.summary("demo_seconds").observe(0.25);
    registry.summary("demo_seconds").observe(0.5);
    std::string out;
    registry.render(out);
    CHECK(out == "# HELP demo_seconds Demo time\n# TYPE demo_seconds summary\n"
                 "demo_seconds_sum 0.75\ndemo_seconds_count 2\n");
}

TEST_CASE("metrics: label values are escaped") {
    std::string out;
    TextWriter writer(out);
    writer.sample("x", {{"v", "a\"b\\c\nd"}}, std::uint64_t{1});
    CHECK(out == "x{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST_CASE("metrics: numbers in the text format") {
    std::string out;
    append_number(out, 0.05);
    out += ' ';
    append_number(out, 600);
    out += ' ';
    append_number(out, std::numeric_limits<double>::infinity());
    CHECK(out == "0.05 600 +Inf");
}

TEST_CASE("metrics: the process registry has the GC and scrub families") {
    gc_deleted(Deleted::blob, 3);
    gc_run(false, 1.5);
    scrub_checked(true);
    std::string out;
    registry().render(out);
    CHECK(out.find("zot_gc_deleted_total{type=\"blob\"} 3\n") != std::string::npos);
    CHECK(out.find("zot_gc_runs_total{error=\"false\"} 1\n") != std::string::npos);
    CHECK(out.find("zot_gc_duration_seconds_sum 1.5\n") != std::string::npos);
    CHECK(out.find("berth_scrub_images_total{status=\"affected\"} 1\n") != std::string::npos);
    CHECK(out.find("zot_gc_deleted_total{type=\"upload\"} 0\n") != std::string::npos);
}
