#include <berth/auth/htpasswd.h>
#include <berth/auth/password.h>

#include <doctest/doctest.h>

using namespace berth::auth;

TEST_CASE("htpasswd: bcrypt and SHA-crypt lines are read, comments and blanks skipped") {
    std::string bcrypt = hash_password("secret", 4);
    REQUIRE(bcrypt.starts_with("$2y$04$"));
    std::string text = "# users\n\nalice:" + bcrypt +
                       "\r\nbob:$6$saltsalt$8Ux5Pq3cL9Iu1fLQdHxiA5xN4Yb0cMvV7nWzQ2rT6uE\n";
    auto file = parse_htpasswd(text);
    REQUIRE(file.has_value());
    CHECK(file->hashes.size() == 2);
    CHECK(file->hashes.at("alice") == bcrypt);
}

TEST_CASE("htpasswd: other hash kinds are refused with the line number") {
    for (std::string line :
         {"carol:$apr1$abc$defghijklmnopqrstu",
          "dave:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "erin:plaintext", "frank:abCDeFgHiJkLm"}) {
        auto file = parse_htpasswd("alice:" + hash_password("x", 4) + "\n" + line + "\n");
        REQUIRE(!file.has_value());
        CHECK(file.error().starts_with("line 2: "));
    }
}

TEST_CASE("htpasswd: malformed lines and duplicate users are refused") {
    CHECK(!parse_htpasswd("no-colon-here\n").has_value());
    CHECK(!parse_htpasswd(":$2y$04$abcdefghijklmnopqrstuv\n").has_value());
    std::string hash = hash_password("x", 4);
    CHECK(!parse_htpasswd("a:" + hash + "\na:" + hash + "\n").has_value());
}

TEST_CASE("password: verification accepts the password and nothing else") {
    std::string hash = hash_password("correct horse", 4);
    CHECK(verify_password("correct horse", hash));
    CHECK(!verify_password("correct hors", hash));
    CHECK(!verify_password("correct horse ", hash));
    CHECK(!verify_password("", hash));
    CHECK(!verify_password("correct horse", "not a hash"));
    CHECK(!verify_password("correct horse", ""));
}

TEST_CASE("password: SHA-crypt hashes made elsewhere verify") {
    // openssl passwd -6 -salt saltsalt secret, and -5
    CHECK(verify_password(
        "secret",
        "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq."
        "H91p5hVO1"));
    CHECK(verify_password("secret", "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA"));
    CHECK(!verify_password(
        "Secret",
        "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq."
        "H91p5hVO1"));
}
