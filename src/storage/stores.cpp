#include <berth/storage/stores.h>

#include <algorithm>
#include <iterator>

namespace berth::storage {

namespace {

// Up to `limit` names of `store` after `last` that `keep` accepts.
std::vector<std::string> kept_names(const Store& store, std::string last, std::size_t limit,
                                    bool& more, const Stores::NameFilter& keep) {
    std::vector<std::string> names;
    more = false;
    while (names.size() < limit) {
        std::vector<std::string> batch = store.repositories(last, limit - names.size(), more);
        for (std::string& name : batch) {
            if (keep(name)) {
                names.push_back(std::move(name));
            }
        }
        if (!more || batch.empty()) {
            break;
        }
        last = batch.back();
    }
    return names;
}

} // namespace

Stores::Stores(Store& default_store) : all_{&default_store} {}

void Stores::add_route(std::string_view route, Store& store) {
    if (route.size() < 2 || route.front() != '/' || route.find('/', 1) != std::string_view::npos) {
        return;
    }
    routes_.insert_or_assign(std::string(route.substr(1)), &store);
    if (std::find(all_.begin(), all_.end(), &store) == all_.end()) {
        all_.push_back(&store);
    }
}

Store& Stores::route(std::string_view repository) const {
    const std::size_t slash = repository.find('/');
    if (slash == std::string_view::npos || routes_.empty()) {
        return *all_.front();
    }
    auto found = routes_.find(repository.substr(0, slash));
    return found == routes_.end() ? *all_.front() : *found->second;
}

bool Stores::loaded() const {
    return std::all_of(all_.begin(), all_.end(),
                       [](const Store* store) { return store->loaded(); });
}

io::Task<void> Stores::wait_loaded() const {
    for (Store* store : all_) {
        if (!store->loaded()) {
            co_await store->wait_loaded();
        }
    }
}

void Stores::set_observer(StoreObserver* observer) const {
    for (Store* store : all_) {
        store->set_observer(observer);
    }
}

std::vector<std::string> Stores::repositories(std::string_view last, std::size_t limit, bool& more,
                                              const NameFilter& keep) const {
    if (all_.size() == 1 && !keep) {
        return all_.front()->repositories(last, limit, more);
    }
    more = false;
    std::vector<std::string> merged;
    for (const Store* store : all_) {
        auto routed_here = [&](std::string_view name) {
            return &route(name) == store && (!keep || keep(name));
        };
        bool store_more = false;
        std::vector<std::string> names =
            kept_names(*store, std::string(last), limit, store_more, routed_here);
        more = more || store_more;
        merged.insert(merged.end(), std::make_move_iterator(names.begin()),
                      std::make_move_iterator(names.end()));
    }
    std::sort(merged.begin(), merged.end());
    if (merged.size() > limit) {
        merged.resize(limit);
        more = true;
    }
    return merged;
}

std::size_t Stores::upload_sessions() const {
    std::size_t sessions = 0;
    for (const Store* store : all_) {
        sessions += store->upload_sessions();
    }
    return sessions;
}

} // namespace berth::storage
