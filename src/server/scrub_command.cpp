#include <berth/server/scrub_command.h>

#include <berth/io/loop.h>
#include <berth/io/startup.h>
#include <berth/storage/scrub.h>
#include <berth/util/log.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace berth::server {

namespace {

// The offline scrub reads one file at a time; a small ring and a few buffers are plenty.
constexpr io::LoopOptions offline_loop{64, 4096, 4};

struct Run {
    io::Loop* loop;
    int root_fd;
    std::vector<storage::ScrubFinding> findings;
    bool done = false;
};

io::Task<void> run_scrub(Run& run) {
    storage::ScrubSink sink = [&run](const storage::ScrubFinding& finding) {
        run.findings.push_back(finding);
    };
    co_await storage::scrub(*run.loop, run.root_fd, nullptr, sink);
}

void finished(void* context) {
    auto* run = static_cast<Run*>(context);
    run->done = true;
    run->loop->stop();
}

// Scrubs the store in `root`, adding to `findings`; false when the directory cannot be opened.
bool scrub_root(io::Loop& loop, const std::string& root,
                std::vector<storage::ScrubFinding>& findings, std::FILE* errors) {
    int root_fd = io::startup::open_directory(root);
    if (root_fd < 0) {
        std::fprintf(errors, "berth scrub: cannot open %s: %s\n", root.c_str(),
                     std::strerror(-root_fd));
        return false;
    }
    Run run{&loop, root_fd, std::move(findings)};
    io::spawn(run_scrub(run), &finished, &run);
    if (!run.done) {
        loop.run();
    }
    io::startup::close_fd(root_fd);
    findings = std::move(run.findings);
    return true;
}

} // namespace

int scrub_command(const config::Config& config, std::FILE* out, std::FILE* errors) {
    // Findings are the output; the log would only repeat them.
    log::set_level(log::Level::error);
    auto loop = io::Loop::create(offline_loop);
    if (!loop) {
        std::fprintf(errors, "berth scrub: %s\n", loop.error().c_str());
        return 2;
    }
    // Every store: the top level's and each subPath directory (repositories keep their whole
    // names there, so the table needs no store column).
    std::vector<storage::ScrubFinding> findings;
    for (const config::StoreLayout& layout : config::store_layouts(config.storage)) {
        if (!scrub_root(**loop, layout.config->root_directory, findings, errors)) {
            return 2;
        }
    }
    std::stable_sort(findings.begin(), findings.end(), [](const auto& first, const auto& second) {
        return first.repository < second.repository;
    });
    std::string table = storage::format_scrub_table(findings);
    std::fwrite(table.data(), 1, table.size(), out);
    for (const storage::ScrubFinding& finding : findings) {
        if (!finding.ok()) {
            return 1;
        }
    }
    return 0;
}

} // namespace berth::server
