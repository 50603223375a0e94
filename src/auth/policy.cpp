#include <berth/auth/policy.h>

#include <algorithm>

namespace berth::auth {

namespace {

bool segment_match(std::string_view pattern, std::string_view text) {
    // Iterative `*`/`?` matching with one backtrack point: linear in practice.
    std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            p++;
            t++;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') {
        p++;
    }
    return p == pattern.size();
}

std::vector<std::string_view> split(std::string_view path) {
    std::vector<std::string_view> parts;
    while (true) {
        std::size_t slash = path.find('/');
        parts.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) {
            return parts;
        }
        path.remove_prefix(slash + 1);
    }
}

bool match_segments(const std::vector<std::string_view>& pattern, std::size_t p,
                    const std::vector<std::string_view>& name, std::size_t n) {
    while (p < pattern.size()) {
        if (pattern[p] == "**") {
            for (std::size_t skip = n; skip <= name.size(); skip++) {
                if (match_segments(pattern, p + 1, name, skip)) {
                    return true;
                }
            }
            return false;
        }
        if (n >= name.size() || !segment_match(pattern[p], name[n])) {
            return false;
        }
        p++;
        n++;
    }
    return n == name.size();
}

bool names(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view name) {
    return match_segments(split(pattern), 0, split(name), 0);
}

Policy::Policy(const std::optional<config::AccessControl>& access_control, bool authentication_on)
    : access_control_(access_control), authentication_on_(authentication_on) {}

bool Policy::in_group(const std::string& user, const std::vector<std::string>& groups) const {
    for (const std::string& group : groups) {
        auto found = access_control_->groups.find(group);
        if (found != access_control_->groups.end() && names(found->second, user)) {
            return true;
        }
    }
    return false;
}

bool Policy::granted(const config::Policy& policy, const Identity& identity,
                     config::Action action) const {
    if (!identity.authenticated || !policy.actions.has(action)) {
        return false;
    }
    return names(policy.users, identity.user) || in_group(identity.user, policy.groups);
}

bool Policy::allows(const Identity& identity, std::string_view repository,
                    config::Action action) const {
    if (!access_control_) {
        return !authentication_on_ || identity.authenticated;
    }
    const config::RepositoryAccess* best = nullptr;
    std::size_t best_length = 0;
    for (const auto& [pattern, access] : access_control_->repositories) {
        if ((best == nullptr || pattern.size() > best_length) && glob_match(pattern, repository)) {
            best = &access;
            best_length = pattern.size();
        }
    }
    if (best != nullptr) {
        for (const config::Policy& policy : best->policies) {
            if (granted(policy, identity, action)) {
                return true;
            }
        }
        if (identity.authenticated ? best->default_policy.has(action)
                                   : best->anonymous_policy.has(action)) {
            return true;
        }
    }
    return granted(access_control_->admin_policy, identity, action);
}

bool Policy::may_scrape_metrics(const Identity& identity) const {
    if (!access_control_) {
        return !authentication_on_ || identity.authenticated;
    }
    const config::MetricsAccess& metrics = access_control_->metrics;
    if (!identity.authenticated) {
        return metrics.anonymous_policy.has(config::Action::read);
    }
    return names(metrics.users, identity.user);
}

bool Policy::anonymous_has_access() const {
    if (!access_control_) {
        return !authentication_on_;
    }
    return std::any_of(access_control_->repositories.begin(), access_control_->repositories.end(),
                       [](const auto& entry) { return !entry.second.anonymous_policy.empty(); });
}

} // namespace berth::auth
