// Named counters, gauges and summaries, and the Prometheus text format they are shown in.
//
// Like the log, the registry is one per process and any layer may count into it:
//
//     metrics::gc_deleted(metrics::Deleted::blob, removed);     // a family berth knows
//     metrics::registry().counter("zot_gc_runs_total", {"false"}).add();
//
// Series live as long as the process and never move, so a caller may keep the reference it
// got. Everything here runs on the loop thread: the values are plain numbers, not atomics.
// The request path does not come here; the HTTP families are fixed arrays in ext/metrics.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::metrics {

enum class Kind : std::uint8_t { counter, gauge, summary };

// One labelled series. A counter only goes up (add), a gauge is set or moved (set, add), a
// summary observes values (count and sum, without quantiles, as Zot's summaries are shown).
class Series {
public:
    void add(double amount = 1) { value_ += amount; }
    void set(double value) { value_ = value; }
    void observe(double value) {
        sum_ += value;
        count_++;
    }
    double value() const { return value_; }
    double sum() const { return sum_; }
    std::uint64_t count() const { return count_; }

private:
    double value_ = 0;
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

class Registry {
public:
    // Declares a family; declaring the same name again returns quietly. A family's series
    // are shown in the order of their label values; a family without series shows only its
    // HELP and TYPE lines, so that a scraper learns of it before its first event.
    void declare(std::string_view name, Kind kind, std::string_view help,
                 std::initializer_list<std::string_view> label_names = {});
    // The series of a declared family with these label values (one per label name), made
    // at zero on first use. Asking for an undeclared family or the wrong number of values is
    // a programming error and aborts.
    Series& counter(std::string_view name, std::initializer_list<std::string_view> values = {});
    Series& gauge(std::string_view name, std::initializer_list<std::string_view> values = {});
    Series& summary(std::string_view name, std::initializer_list<std::string_view> values = {});

    void render(std::string& out) const;

private:
    struct Family {
        Kind kind;
        std::string help;
        std::vector<std::string> label_names;
        std::map<std::vector<std::string>, std::unique_ptr<Series>> series;
    };
    Series& series(std::string_view name, Kind kind,
                   std::initializer_list<std::string_view> values);

    std::map<std::string, Family, std::less<>> families_;
};

// The process's registry, with the families below already declared.
Registry& registry();

// ---- families for the storage lifecycle (GC, retention, scrub) -----------------------------

// zot_gc_runs_total{error="true"|"false"} and zot_gc_duration_seconds: one call per sweep.
void gc_run(bool failed, double seconds);
// zot_gc_deleted_total{type="manifest"|"blob"|"upload"}.
enum class Deleted : std::uint8_t { manifest, blob, upload };
void gc_deleted(Deleted what, std::uint64_t count = 1);
// berth_scrub_runs_total{error}, berth_scrub_duration_seconds (Zot exports no scrub metrics).
void scrub_run(bool failed, double seconds);
// berth_scrub_images_total{status="ok"|"affected"}: images checked, as Zot's scrub reports
// them.
void scrub_checked(bool affected, std::uint64_t images = 1);

// ---- the text format ---------------------------------------------------------------------

using Label = std::pair<std::string_view, std::string_view>;

// Writes families and samples in the Prometheus text exposition format (version 0.0.4).
class TextWriter {
public:
    explicit TextWriter(std::string& out) : out_(out) {}

    void family(std::string_view name, Kind kind, std::string_view help);
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, std::initializer_list<Label> labels, double value);
    void sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value);
    // For labels known only at run time.
    void sample(std::string_view name, const std::vector<Label>& labels, double value);

private:
    void labels(const Label* begin, const Label* end);
    std::string& out_;
};

std::string_view kind_name(Kind kind);
// A number as the text format writes it: shortest round-trip form, "+Inf", "NaN".
void append_number(std::string& out, double value);

} // namespace berth::metrics
