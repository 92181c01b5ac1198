#pragma once

#include "wire_reader.h"

#include <span>
#include <streambuf>

namespace forkscope::detail {

/// A streambuf that appends to a byte vector, so a cereal archive writes straight into the frame
/// being built (no std::ostringstream, no copy, no locale work per value).
class AppendStreamBuf : public std::streambuf {
public:
    explicit AppendStreamBuf(Bytes& out) : out_(out) {}

protected:
    int_type overflow(int_type c) override {
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            out_.push_back(static_cast<std::uint8_t>(c));
        }
        return traits_type::not_eof(c);
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(s);
        out_.insert(out_.end(), bytes, bytes + n);
        return n;
    }

private:
    Bytes& out_;
};

/// A read-only streambuf over bytes that stay owned elsewhere (a frame in a receive buffer).
class SpanStreamBuf : public std::streambuf {
public:
    explicit SpanStreamBuf(std::span<const std::uint8_t> data) {
        // std::streambuf wants char*, but never writes through the get area.
        char* begin = const_cast<char*>(reinterpret_cast<const char*>(data.data()));
        setg(begin, begin, begin + data.size());
    }
};

} // namespace forkscope::detail
