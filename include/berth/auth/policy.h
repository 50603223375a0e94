// Who may do what to which repository: Zot's access-control semantics over the typed config.
//
// The most specific repository glob that matches (the longest pattern) decides; a user gets an
// action from a policy naming the user or one of the user's groups, from defaultPolicy when
// authenticated, from anonymousPolicy when not, and otherwise from adminPolicy. Without an
// accessControl section, authentication alone decides: any authenticated user may do anything
// and anonymous users nothing (or everyone everything when authentication is off).
#pragma once

#include <berth/config/config.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::auth {

struct Identity {
    bool authenticated = false;
    std::string user;
};

// Doublestar globs: `*` and `?` within one path segment, `**` for any number of segments.
bool glob_match(std::string_view pattern, std::string_view name);

class Policy {
public:
    Policy(const std::optional<config::AccessControl>& access_control, bool authentication_on);

    bool allows(const Identity& identity, std::string_view repository, config::Action action) const;
    bool may_scrape_metrics(const Identity& identity) const;
    // Whether anonymous requests can do anything at all.
    bool anonymous_has_access() const;
    bool authentication_on() const { return authentication_on_; }

private:
    bool in_group(const std::string& user, const std::vector<std::string>& groups) const;
    bool granted(const config::Policy& policy, const Identity& identity,
                 config::Action action) const;

    std::optional<config::AccessControl> access_control_;
    bool authentication_on_;
};

} // namespace berth::auth
