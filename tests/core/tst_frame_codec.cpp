// The frame codec as a pure function over bytes: round trips, truncation, bad checksums,
// absurd lengths. No I/O, so these also describe what a fuzzer must never get past.
#include "engine_test.h"
#include "ipc/crc32c.h"
#include "ipc/frame_codec.h"
#include "ipc/ipc_errors.h"
#include "ipc/payload_checksum.h"
#include "test_main.h"

#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

using namespace forkscope;
using namespace forkscope::test;

namespace {

std::vector<std::uint8_t> bytesOf(const std::string& text) {
    return {text.begin(), text.end()};
}

std::vector<std::uint8_t> pattern(std::size_t size) {
    std::vector<std::uint8_t> data(size);
    for (std::size_t i = 0; i < size; ++i) {
        data[i] = static_cast<std::uint8_t>((i * 131u + 7u) & 0xFFu);
    }
    return data;
}

/// Expects FrameCorruptedError whose message contains every one of `words`.
template <class F> bool throwsCorrupted(F&& f, std::initializer_list<const char*> words) {
    try {
        f();
    } catch (const FrameCorruptedError& e) {
        const std::string what = e.what();
        for (const char* word : words) {
            if (what.find(word) == std::string::npos) {
                qWarning("message lacks '%s': %s", word, what.c_str());
                return false;
            }
        }
        return true;
    }
    return false;
}

} // namespace

class TestFrameCodec : public forkscope::test::EngineTest {
    Q_OBJECT

private Q_SLOTS:

    void crcKnownValues() {
        // The check value of CRC-32C (RFC 3720 and every CRC catalogue).
        const auto check = bytesOf("123456789");
        QCOMPARE(Crc32c::compute(check), 0xE3069283u);
        QCOMPARE(Crc32c::computeSoftware(check), 0xE3069283u);
        QCOMPARE(Crc32c::compute({}), 0u);
        // 32 zero bytes: RFC 3720 B.4.
        const std::vector<std::uint8_t> zeros(32, 0);
        QCOMPARE(Crc32c::compute(zeros), 0x8A9136AAu);
        // Hardware and table paths agree at every length and alignment, and chaining works.
        const auto data = pattern(4099);
        for (std::size_t start : {0u, 1u, 3u, 7u}) {
            for (std::size_t length : {0u, 1u, 7u, 8u, 9u, 63u, 64u, 1000u, 4092u}) {
                const auto piece = std::span(data).subspan(start, length);
                QCOMPARE(Crc32c::compute(piece), Crc32c::computeSoftware(piece));
                const auto half = length / 2;
                QCOMPARE(Crc32c::compute(piece.subspan(half), Crc32c::compute(piece.first(half))),
                         Crc32c::compute(piece));
            }
        }
        // Long inputs take the three-lane path (blocks of 3 x 8 KiB joined by shift tables).
        const auto big = pattern((1 << 20) + 77);
        for (std::size_t length : {24575u, 24576u, 24577u, 49152u + 13u, (1u << 20) + 77u}) {
            for (std::size_t start : {0u, 5u}) {
                const auto piece = std::span(big).subspan(start, std::min(length, big.size() - start));
                QCOMPARE(Crc32c::compute(piece), Crc32c::computeSoftware(piece));
            }
        }
    }

    void payloadChecksumKnownValuesAndPieces() {
        // XXH3-64 of the empty input is 0x2D06800538D394C2; the frame keeps the low half.
        QCOMPARE(PayloadChecksum::of({}), 0x38D394C2u);
        std::vector<std::uint8_t> data(3 * 1024 * 1024 + 17);
        std::iota(data.begin(), data.end(), std::uint8_t{1});
        const std::uint32_t whole = PayloadChecksum::of(data);
        // Summed piece by piece (as a reader does), in uneven pieces, it must agree — also
        // across the AVX2 and the plain build when the machine has AVX2.
        PayloadChecksum pieces;
        for (std::size_t at = 0, piece = 1; at < data.size(); at += piece, piece = piece * 7 % 300000 + 1) {
            pieces.update(std::span(data).subspan(at, std::min(piece, data.size() - at)));
        }
        QCOMPARE(pieces.value(), whole);
        data[data.size() / 2] ^= 0x40;
        QVERIFY(PayloadChecksum::of(data) != whole);
    }

    void roundTrip() {
        const FrameCodec codec;
        for (std::size_t size : {0u, 1u, 64u, 4072u, 4073u, 70000u}) {
            const auto payload = pattern(size);
            const auto frame = codec.encode(payload);
            QCOMPARE(frame.size(), FrameCodec::kHeaderSize + size);
            const auto decoded = codec.decodeComplete(frame);
            QCOMPARE(decoded.consumed, frame.size());
            QVERIFY(
                std::equal(decoded.payload.begin(), decoded.payload.end(), payload.begin(), payload.end()));
        }
        // Two frames back to back: decode takes exactly the first.
        auto stream = codec.encode(bytesOf("first"));
        const auto second = codec.encode(bytesOf("second!"));
        stream.insert(stream.end(), second.begin(), second.end());
        const auto first = codec.decode(stream);
        QVERIFY(first.has_value());
        QCOMPARE(std::string(first->payload.begin(), first->payload.end()), std::string("first"));
        const auto next = codec.decodeComplete(std::span(stream).subspan(first->consumed));
        QCOMPARE(std::string(next.payload.begin(), next.payload.end()), std::string("second!"));
    }

    void truncatedFrame() {
        const FrameCodec codec;
        const auto frame = codec.encode(pattern(100));
        for (std::size_t cut = 0; cut < frame.size(); ++cut) {
            const auto prefix = std::span(frame).first(cut);
            QVERIFY2(!codec.decode(prefix).has_value(), qPrintable(QString("prefix of %1 bytes").arg(cut)));
            QVERIFY(throwsCorrupted([&] { (void)codec.decodeComplete(prefix); }, {"truncated", "expected"}));
        }
    }

    void badChecksum() {
        const FrameCodec codec;
        const auto frame = codec.encode(pattern(1000));
        // Any flipped payload bit is caught.
        for (std::size_t at : {FrameCodec::kHeaderSize, FrameCodec::kHeaderSize + 500, frame.size() - 1}) {
            auto damaged = frame;
            damaged[at] ^= 0x10;
            QVERIFY(
                throwsCorrupted([&] { (void)codec.decode(damaged); }, {"payload checksum", "says", "gives"}));
        }
        // Two halves swapped (what interleaving does) are caught too.
        auto swapped = frame;
        std::rotate(swapped.begin() + FrameCodec::kHeaderSize,
                    swapped.begin() + FrameCodec::kHeaderSize + 500, swapped.end());
        QVERIFY(throwsCorrupted([&] { (void)codec.decode(swapped); }, {"payload checksum"}));
        // A damaged length field fails the header checksum before any length is believed.
        auto badLength = frame;
        badLength[9] ^= 0x01;
        QVERIFY(throwsCorrupted([&] { (void)codec.decode(badLength); }, {"header checksum"}));
        // Bytes that are not a frame at all: refused at once, even before a full header.
        const auto text = bytesOf("hello, this is not a frame at all");
        QVERIFY(throwsCorrupted([&] { (void)codec.decode(text); }, {"magic", "expected", "saw"}));
        QVERIFY(throwsCorrupted([&] { (void)codec.decode(std::span(text).first(3)); }, {"magic"}));
    }

    void absurdLength() {
        // A header that is well-formed (valid checksum) but declares 1 TiB: refused by the cap,
        // without allocating.
        const FrameCodec codec;
        auto header = codec.encodeHeader({});
        const std::uint64_t huge = std::uint64_t{1} << 40;
        std::memcpy(header.data() + 8, &huge, sizeof huge);
        const std::uint32_t crc = Crc32c::compute(std::span(header.data(), 20));
        std::memcpy(header.data() + 20, &crc, sizeof crc);
        QVERIFY(throwsCorrupted([&] { (void)codec.decodeHeader(header); }, {"1099511627776", "limit"}));
        QVERIFY(throwsCorrupted([&] { (void)codec.decode(header); }, {"limit"}));

        // The cap is configurable, on both sides.
        const FrameCodec small(100);
        QCOMPARE(small.maxLength(), std::uint64_t{100});
        QVERIFY(small.decode(small.encode(pattern(100))).has_value());
        QVERIFY_THROWS_EXCEPTION(std::length_error, (void)small.encodeHeader(pattern(101)));
        QVERIFY(throwsCorrupted([&] { (void)small.decode(codec.encode(pattern(101))); }, {"101", "100"}));
    }

    void verifyPayloadSizeMismatch() {
        const FrameCodec codec;
        const auto frame = codec.encode(pattern(10));
        const FrameHeader header = codec.decodeHeader(std::span(frame).first(FrameCodec::kHeaderSize));
        QCOMPARE(header.length, std::uint64_t{10});
        QVERIFY(throwsCorrupted([&] { codec.verifyPayload(header, pattern(9)); }, {"size", "10", "9"}));
    }
};

FORKSCOPE_TEST_MAIN(TestFrameCodec)
#include "tst_frame_codec.moc"
