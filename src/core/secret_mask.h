// What the LLM adviser (ports/adviser.h; docs/autofix.md) must not send off the host, and how
// it is hidden: a Masker replaces the explicit secrets (the service's environment values,
// madre's tokens), whatever looks like a token or a key, and optionally the service names, by
// placeholders (`[SECRET-1]`, `service-1`). Restore puts the names back in an answer; secrets
// never come back. Pure.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace madre {

// Explicit secrets shorter than this are ignored (they would mask every word).
inline constexpr std::size_t kMinSecretLength = 4;

class Masker {
 public:
  // `secrets`: values never to send (those shorter than kMinSecretLength ignored). `names`:
  // names to hide, each replaced at word boundaries by `service-N` (N: its 1-based position in
  // `names`); empty: names are sent as they are.
  explicit Masker(const std::vector<std::string>& secrets, std::vector<std::string> names = {});

  // `text` with every secret, every value that looks like one and every name replaced. A
  // secret keeps its placeholder across calls on this Masker (the same value is always
  // `[SECRET-k]`). What looks like a secret, besides the explicit ones:
  //  - the value after a key ending in password, passwd, pwd, token, secret, key, apikey or
  //    credentials, followed by `=` or `:` (`DB_PASSWORD=x`, `"api_key": "x"`, `token: x`);
  //  - the token after `Bearer `;
  //  - `sk-` and 16 or more characters of [A-Za-z0-9_-] (API keys);
  //  - 24 or more hex digits in a row (keys, digests, container ids);
  //  - 32 or more characters of [A-Za-z0-9+/=_-] with letters and digits (base64-ish; with a
  //    `/`, upper and lower case letters too, so that paths stay).
  // Such a value is then masked wherever it appears in this and later texts.
  std::string Mask(std::string_view text);

  // `text` with each `service-N` of a masked name replaced by the name. Placeholders of
  // secrets stay as they are.
  std::string Restore(std::string_view text) const;

  // The placeholder a name is sent as ("service-2"), or the name itself when names are not
  // masked or it is not one of them.
  std::string MaskedName(const std::string& name) const;

  std::size_t secrets_masked() const { return secret_index_.size(); }

 private:
  void Learn(const std::string& value);  // a found secret: masked from now on
  std::string Replace(std::string_view text);

  std::vector<std::string> secrets_;          // longest first
  std::vector<std::string> names_;            // in placeholder order
  std::vector<std::size_t> names_by_length_;  // indexes into names_, longest first
  std::map<std::string, int> secret_index_;   // value -> k of [SECRET-k]
};

}  // namespace madre
