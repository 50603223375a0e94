#include <berth/server/scrub_command.h>

#include <berth/io/loop.h>
#include <berth/io/startup.h>
#include <berth/storage/scrub.h>
#include <berth/util/log.h>

#include <cstring>
#include <string>
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

} // namespace

int scrub_command(const config::Config& config, std::FILE* out, std::FILE* errors) {
    // Findings are the output; the log would only repeat them.
    log::set_level(log::Level::error);
    const std::string& root = config.storage.root_directory;
    int root_fd = io::startup::open_directory(root);
    if (root_fd < 0) {
        std::fprintf(errors, "berth scrub: cannot open %s: %s\n", root.c_str(),
                     std::strerror(-root_fd));
        return 2;
    }
    auto loop = io::Loop::create(offline_loop);
    if (!loop) {
        io::startup::close_fd(root_fd);
        std::fprintf(errors, "berth scrub: %s\n", loop.error().c_str());
        return 2;
    }
    Run run{loop->get(), root_fd, {}};
    io::spawn(run_scrub(run), &finished, &run);
    if (!run.done) {
        (*loop)->run();
    }
    io::startup::close_fd(root_fd);
    std::string table = storage::format_scrub_table(run.findings);
    std::fwrite(table.data(), 1, table.size(), out);
    for (const storage::ScrubFinding& finding : run.findings) {
        if (!finding.ok()) {
            return 1;
        }
    }
    return 0;
}

} // namespace berth::server
