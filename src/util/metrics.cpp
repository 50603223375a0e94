#include <berth/util/metrics.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace berth::metrics {

namespace {

Registry make_registry() {
    Registry registry;
    registry.declare("zot_gc_runs_total", Kind::counter, "Garbage collection runs", {"error"});
    registry.declare("zot_gc_duration_seconds", Kind::summary,
                     "Time taken by garbage collection runs");
    registry.declare("zot_gc_deleted_total", Kind::counter,
                     "Manifests, blobs and uploads deleted by garbage collection", {"type"});
    registry.declare("berth_scrub_runs_total", Kind::counter, "Scrub runs", {"error"});
    registry.declare("berth_scrub_duration_seconds", Kind::summary, "Time taken by scrub runs");
    registry.declare("berth_scrub_images_total", Kind::counter,
                     "Images checked by scrub, by result", {"status"});
    // At zero from the start, so that rate() and increase() have a first point.
    for (const char* error : {"false", "true"}) {
        registry.counter("zot_gc_runs_total", {error});
        registry.counter("berth_scrub_runs_total", {error});
    }
    for (const char* type : {"manifest", "blob", "upload"}) {
        registry.counter("zot_gc_deleted_total", {type});
    }
    for (const char* status : {"ok", "affected"}) {
        registry.counter("berth_scrub_images_total", {status});
    }
    registry.summary("zot_gc_duration_seconds");
    registry.summary("berth_scrub_duration_seconds");
    return registry;
}

void append_escaped(std::string& out, std::string_view value) {
    for (char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
}

} // namespace

std::string_view kind_name(Kind kind) {
    switch (kind) {
    case Kind::counter:
        return "counter";
    case Kind::gauge:
        return "gauge";
    case Kind::summary:
        return "summary";
    }
    return "untyped";
}

void append_number(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
        return;
    }
    if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
        return;
    }
    char text[32];
    auto [end, error] = std::to_chars(text, text + sizeof(text), value);
    out.append(text, error == std::errc() ? end : text);
}

void Registry::declare(std::string_view name, Kind kind, std::string_view help,
                       std::initializer_list<std::string_view> label_names) {
    if (families_.find(name) != families_.end()) {
        return;
    }
    Family family{kind, std::string(help), {}, {}};
    for (std::string_view label : label_names) {
        family.label_names.emplace_back(label);
    }
    families_.emplace(std::string(name), std::move(family));
}

Series& Registry::series(std::string_view name, Kind kind,
                         std::initializer_list<std::string_view> values) {
    auto found = families_.find(name);
    if (found == families_.end() || found->second.kind != kind ||
        found->second.label_names.size() != values.size()) {
        std::abort();
    }
    std::vector<std::string> key(values.begin(), values.end());
    auto& series = found->second.series[std::move(key)];
    if (!series) {
        series = std::make_unique<Series>();
    }
    return *series;
}

Series& Registry::counter(std::string_view name, std::initializer_list<std::string_view> values) {
    return series(name, Kind::counter, values);
}

Series& Registry::gauge(std::string_view name, std::initializer_list<std::string_view> values) {
    return series(name, Kind::gauge, values);
}

Series& Registry::summary(std::string_view name, std::initializer_list<std::string_view> values) {
    return series(name, Kind::summary, values);
}

void Registry::render(std::string& out) const {
    TextWriter writer(out);
    for (const auto& [name, family] : families_) {
        writer.family(name, family.kind, family.help);
        for (const auto& [values, series] : family.series) {
            std::vector<Label> labels;
            for (std::size_t i = 0; i < values.size(); i++) {
                labels.emplace_back(family.label_names[i], values[i]);
            }
            if (family.kind != Kind::summary) {
                writer.sample(name, labels, series->value());
                continue;
            }
            writer.sample(name + "_sum", labels, series->sum());
            writer.sample(name + "_count", labels, static_cast<double>(series->count()));
        }
    }
}

Registry& registry() {
    static Registry process_registry = make_registry();
    return process_registry;
}

void gc_run(bool failed, double seconds) {
    registry().counter("zot_gc_runs_total", {failed ? "true" : "false"}).add();
    registry().summary("zot_gc_duration_seconds").observe(seconds);
}

void gc_deleted(Deleted what, std::uint64_t count) {
    std::string_view type = what == Deleted::manifest ? "manifest"
                            : what == Deleted::blob   ? "blob"
                                                      : "upload";
    registry().counter("zot_gc_deleted_total", {type}).add(static_cast<double>(count));
}

void scrub_run(bool failed, double seconds) {
    registry().counter("berth_scrub_runs_total", {failed ? "true" : "false"}).add();
    registry().summary("berth_scrub_duration_seconds").observe(seconds);
}

void scrub_checked(bool affected, std::uint64_t images) {
    registry()
        .counter("berth_scrub_images_total", {affected ? "affected" : "ok"})
        .add(static_cast<double>(images));
}

// ---- TextWriter ----------------------------------------------------------------------------

void TextWriter::family(std::string_view name, Kind kind, std::string_view help) {
    family(name, kind_name(kind), help);
}

void TextWriter::family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
}

void TextWriter::labels(const Label* begin, const Label* end) {
    if (begin == end) {
        return;
    }
    out_ += '{';
    for (const Label* label = begin; label != end; ++label) {
        if (label != begin) {
            out_ += ',';
        }
        out_ += label->first;
        out_ += "=\"";
        append_escaped(out_, label->second);
        out_ += '"';
    }
    out_ += '}';
}

void TextWriter::sample(std::string_view name, std::initializer_list<Label> labels_list,
                        double value) {
    out_ += name;
    labels(labels_list.begin(), labels_list.end());
    out_ += ' ';
    append_number(out_, value);
    out_ += '\n';
}

void TextWriter::sample(std::string_view name, std::initializer_list<Label> labels_list,
                        std::uint64_t value) {
    out_ += name;
    labels(labels_list.begin(), labels_list.end());
    out_ += ' ';
    out_ += std::to_string(value);
    out_ += '\n';
}

void TextWriter::sample(std::string_view name, const std::vector<Label>& labels_list,
                        double value) {
    out_ += name;
    labels(labels_list.data(), labels_list.data() + labels_list.size());
    out_ += ' ';
    append_number(out_, value);
    out_ += '\n';
}

} // namespace berth::metrics
