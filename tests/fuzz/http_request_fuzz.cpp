// Feeds arbitrary bytes to the request parser with the server's limits, then
// hands every request that parses to handle_request, with and without basic
// auth. Crashes, sanitizer reports and exceptions are the failures.

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "beyondtrust_exporter/http_server.hpp"

namespace {

namespace http = boost::beast::http;
using beyondtrust_exporter::HttpHandlers;
using beyondtrust_exporter::HttpServerOptions;

HttpHandlers make_handlers() {
  HttpHandlers handlers;
  handlers.render_metrics = [] {
    return std::string(
        "# TYPE beyondtrust_up gauge\n"
        "beyondtrust_up{appliance=\"support\"} 1\n");
  };
  handlers.render_landing_page = [] { return std::string("<html></html>"); };
  handlers.reload = [] { return std::string("rejected"); };
  return handlers;
}

HttpServerOptions make_options(bool basic_auth) {
  HttpServerOptions options;
  options.security.headers = {{"X-Frame-Options", "deny"}};
  if (basic_auth) {
    options.security.check_basic_auth = [](std::string_view user,
                                           std::string_view password) {
      return user == "prometheus" && password == "secret";
    };
  }
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const HttpHandlers handlers = make_handlers();
  static const HttpServerOptions open_options = make_options(false);
  static const HttpServerOptions auth_options = make_options(true);

  // The same limits as the server's reader.
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(open_options.header_limit));
  parser.body_limit(open_options.body_limit);
  parser.eager(true);

  std::string_view input(reinterpret_cast<const char*>(data), size);
  boost::system::error_code error;
  // Bounded: every round consumes input or stops.
  while (!input.empty() && !parser.is_done()) {
    const std::size_t used =
        parser.put(boost::asio::buffer(input.data(), input.size()), error);
    if (error == http::error::need_more) break;
    if (error) return 0;
    if (used == 0) break;
    input.remove_prefix(used);
  }
  if (!parser.is_done()) {
    error = {};
    parser.put_eof(error);
    if (error || !parser.is_done()) return 0;
  }

  beyondtrust_exporter::handle_request(parser.get(), handlers, open_options);
  beyondtrust_exporter::handle_request(parser.get(), handlers, auth_options);
  return 0;
}
