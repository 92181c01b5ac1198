// The codecs as pure functions over bytes: frames (round trips, truncation, bad checksums,
// absurd lengths) and the tagged message codec with its byte archives (cereal's binary format,
// the type check, corrupt lengths). No I/O, so these also describe what a fuzzer must never
// get past.
#include "engine_test.h"
#include "ipc/bulk_sum_kernel.h"
#include "ipc/crc32c.h"
#include "ipc/frame_codec.h"
#include "ipc/ipc_errors.h"
#include "ipc/payload_checksum.h"
#include "ipc/tagged_codec.h"
#include "process/byte_archives.h"
#include "test_main.h"
#include "throws_with.h"

#include <algorithm>
#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/vector.hpp>
#include <cstring>
#include <map>
#include <new>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>

// Header-only, as the engine uses it.
#define XXH_INLINE_ALL
#include <xxhash.h>

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

/// A user type with the usual templated serialize(): it must travel the same way through the
/// byte archives as through cereal's binary ones.
struct Sample {
    std::string name;
    std::vector<double> values;
    std::map<int, std::string> labels;
    template <class Archive> void serialize(Archive& ar) { ar(name, values, labels); }
    bool operator==(const Sample&) const = default;
};

/// A type whose load fails as a container's resize does when it asks for more than memory
/// allows (std::length_error past max_size(), std::bad_alloc when the allocation fails): the
/// archive's element-count check cannot see a container of large elements coming, and really
/// reaching either error would take a multi-gigabyte allocation.
template <class Error> struct FailsToAllocate {
    template <class Archive> void save(Archive& ar) const { ar(std::uint64_t{1}); }
    template <class Archive> void load(Archive& ar) {
        std::uint64_t count = 0;
        ar(count);
        if constexpr (std::is_same_v<Error, std::bad_alloc>) {
            throw std::bad_alloc();
        } else {
            throw Error("vector::_M_default_append");
        }
    }
};

using ArchiveCase =
    std::tuple<int, double, bool, std::string, std::vector<int>, std::vector<std::string>, Sample>;

ArchiveCase archiveCase() {
    return {-7,
            2.5,
            true,
            std::string("h\0llo", 6),
            {1, 2, 3},
            {"", "a", std::string(300, 'x')},
            Sample{"s", {0.5, -1.0}, {{1, "one"}, {2, "two"}}}};
}

/// What cereal's own binary archive writes for `values`, in order.
template <class... T> std::vector<std::uint8_t> cerealBinary(const T&... values) {
    std::ostringstream out;
    {
        cereal::BinaryOutputArchive archive(out);
        archive(values...);
    }
    const std::string text = out.str();
    return {text.begin(), text.end()};
}

} // namespace

namespace forkscope::detail {
// payload_checksum_avx2.cpp
void bulkSumBlocksAvx2(BulkSumLanes& lanes, const std::uint8_t* data, std::size_t blocks) noexcept;
} // namespace forkscope::detail

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
        // Either side of the switch to the bulk sum, block edges, and a long payload.
        for (const std::size_t size :
             {std::size_t{1}, std::size_t{240}, std::size_t{241}, PayloadChecksum::kBulkFrom - 1,
              PayloadChecksum::kBulkFrom, PayloadChecksum::kBulkFrom + 1, PayloadChecksum::kBulkFrom + 127,
              PayloadChecksum::kBulkFrom + 128, PayloadChecksum::kBulkFrom + 129, data.size()}) {
            const auto payload = std::span(data).first(size);
            const std::uint32_t whole = PayloadChecksum::of(payload);
            // Summed piece by piece, as a reader does, in uneven pieces that start and end
            // inside the bulk sum's 128-byte blocks: it must agree.
            PayloadChecksum pieces(size);
            for (std::size_t at = 0, piece = 1; at < size; at += piece, piece = piece * 7 % 300000 + 1) {
                pieces.update(payload.subspan(at, std::min(piece, size - at)));
            }
            QVERIFY2(pieces.value() == whole, qPrintable(QString("%1 bytes").arg(size)));
            // Empty pieces (a null pointer among them) change nothing, also mid-block.
            PayloadChecksum withEmpty(size);
            withEmpty.update(payload.first(size / 2));
            withEmpty.update({});
            withEmpty.update(payload.subspan(size / 2));
            QVERIFY2(withEmpty.value() == whole, qPrintable(QString("%1 bytes").arg(size)));
            // Any flipped bit changes it, and so does a payload cut short of its length.
            auto flipped = std::vector<std::uint8_t>(payload.begin(), payload.end());
            flipped[size / 2] ^= 0x40;
            QVERIFY2(PayloadChecksum::of(flipped) != whole, qPrintable(QString("%1 bytes").arg(size)));
            PayloadChecksum cut(size);
            cut.update(payload.first(size - 1));
            QVERIFY2(cut.value() != whole, qPrintable(QString("%1 bytes").arg(size)));
        }
    }

    /// The bulk sum is the wire format of every frame of 4 KiB or more: a plain, loop-by-loop
    /// reading of its definition (docs/ipc.md) must give the same value, so that a change of
    /// the vector code cannot change the format unnoticed.
    void bulkSumMatchesItsDefinition() {
        for (const std::size_t size : {PayloadChecksum::kBulkFrom, std::size_t{5000}, std::size_t{1} << 20}) {
            const auto payload = pattern(size);
            struct {
                std::uint64_t a[16]{};
                std::uint64_t b[16]{};
                std::uint64_t length = 0;
            } sums;
            for (std::size_t block = 0; block * 128 < size; ++block) {
                for (std::size_t lane = 0; lane < 16; ++lane) {
                    std::uint64_t word = 0;
                    for (std::size_t byte = 0; byte < 8; ++byte) { // little-endian, zero past the end
                        const std::size_t at = block * 128 + lane * 8 + byte;
                        word |= std::uint64_t{at < size ? payload[at] : std::uint8_t{0}} << (8 * byte);
                    }
                    sums.a[lane] += word;
                    sums.b[lane] += sums.a[lane];
                }
            }
            sums.length = size;
            const auto expected = static_cast<std::uint32_t>(XXH3_64bits(&sums, sizeof sums));
            QCOMPARE(PayloadChecksum::of(payload), expected);
        }
        // The AVX2 build of the loop and the baseline one (this file's copy) agree.
        if (__builtin_cpu_supports("avx2")) {
            const auto payload = pattern(64 * detail::BulkSumLanes::kBlockBytes);
            detail::BulkSumLanes baseline;
            detail::BulkSumLanes avx2;
            detail::bulkSumBlocksKernel(baseline, payload.data(), 64);
            detail::bulkSumBlocksAvx2(avx2, payload.data(), 64);
            QVERIFY(std::memcmp(&baseline, &avx2, sizeof baseline) == 0);
        }
    }

    /// What a second writer does to a large frame, on payloads chosen so that a plain sum of the
    /// words would not see it: every change keeps the same words, or zeros for zeros.
    void bulkSumSeesMovedAndForeignBytes() {
        const FrameCodec codec;
        const std::size_t size = std::size_t{1} << 20;
        auto rejected = [&](const std::vector<std::uint8_t>& original,
                            const std::vector<std::uint8_t>& damaged) {
            auto frame = codec.encode(original);
            std::copy(damaged.begin(), damaged.end(), frame.begin() + FrameCodec::kHeaderSize);
            return throwsWith<FrameCorruptedError>([&] { (void)codec.decode(frame); }, {"payload checksum"});
        };
        const auto payload = pattern(size);
        // Two 128-byte blocks swapped (the first two: the pattern repeats every 256 bytes): every lane holds
        // the same words, in another order.
        auto blocksSwapped = payload;
        std::swap_ranges(blocksSwapped.begin(), blocksSwapped.begin() + 128, blocksSwapped.begin() + 128);
        QVERIFY(rejected(payload, blocksSwapped));
        // Two words swapped inside one block: the same words, in other lanes.
        auto wordsSwapped = payload;
        std::swap_ranges(wordsSwapped.begin() + 8, wordsSwapped.begin() + 16, wordsSwapped.begin() + 24);
        QVERIFY(rejected(payload, wordsSwapped));
        // All zeros, with another writer's header landing in the middle and pushing the rest
        // out: what two writers of zero-filled messages make.
        const std::vector<std::uint8_t> zeros(size, 0);
        auto spliced = zeros;
        const auto foreign = codec.encodeHeader(zeros);
        std::copy(foreign.begin(), foreign.end(), spliced.begin() + size / 2);
        QVERIFY(rejected(zeros, spliced));
        // The payload shifted by one word (another writer's 8 bytes in front): the same words,
        // each one lane further on.
        auto shifted = payload;
        std::rotate(shifted.begin(), shifted.end() - 8, shifted.end());
        QVERIFY(rejected(payload, shifted));
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
            QVERIFY(throwsWith<FrameCorruptedError>([&] { (void)codec.decodeComplete(prefix); },
                                                    {"truncated", "expected"}));
        }
    }

    void badChecksum() {
        const FrameCodec codec;
        const auto frame = codec.encode(pattern(1000));
        // Any flipped payload bit is caught.
        for (std::size_t at : {FrameCodec::kHeaderSize, FrameCodec::kHeaderSize + 500, frame.size() - 1}) {
            auto damaged = frame;
            damaged[at] ^= 0x10;
            QVERIFY(throwsWith<FrameCorruptedError>([&] { (void)codec.decode(damaged); },
                                                    {"payload checksum", "says", "gives"}));
        }
        // Two halves swapped (what interleaving does) are caught too.
        auto swapped = frame;
        std::rotate(swapped.begin() + FrameCodec::kHeaderSize,
                    swapped.begin() + FrameCodec::kHeaderSize + 500, swapped.end());
        QVERIFY(throwsWith<FrameCorruptedError>([&] { (void)codec.decode(swapped); }, {"payload checksum"}));
        // A damaged length field fails the header checksum before any length is believed.
        auto badLength = frame;
        badLength[9] ^= 0x01;
        QVERIFY(throwsWith<FrameCorruptedError>([&] { (void)codec.decode(badLength); }, {"header checksum"}));
        // Bytes that are not a frame at all: refused at once, even before a full header.
        const auto text = bytesOf("hello, this is not a frame at all");
        QVERIFY(
            throwsWith<FrameCorruptedError>([&] { (void)codec.decode(text); }, {"magic", "expected", "saw"}));
        QVERIFY(throwsWith<FrameCorruptedError>([&] { (void)codec.decode(std::span(text).first(3)); },
                                                {"magic"}));
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
        QVERIFY(throwsWith<FrameCorruptedError>([&] { (void)codec.decodeHeader(header); },
                                                {"1099511627776", "limit"}));
        QVERIFY(throwsWith<FrameCorruptedError>([&] { (void)codec.decode(header); }, {"limit"}));

        // The cap is configurable, on both sides.
        const FrameCodec small(100);
        QCOMPARE(small.maxLength(), std::uint64_t{100});
        QVERIFY(small.decode(small.encode(pattern(100))).has_value());
        QVERIFY_THROWS_EXCEPTION(std::length_error, (void)small.encodeHeader(pattern(101)));
        QVERIFY(throwsWith<FrameCorruptedError>([&] { (void)small.decode(codec.encode(pattern(101))); },
                                                {"101", "100"}));
    }

    void byteArchivesWriteCerealsBinaryFormat() {
        // The archives of every message and of the pool's chunks promise cereal's binary
        // layout: the same bytes out, and those bytes read back, whatever the types.
        const ArchiveCase original = archiveCase();
        std::vector<std::uint8_t> ours;
        {
            detail::ByteOutputArchive archive(ours);
            archive(original);
        }
        QCOMPARE(ours, cerealBinary(original));

        ArchiveCase decoded;
        {
            detail::ByteInputArchive archive(ours);
            archive(decoded);
        }
        QVERIFY(decoded == original);

        // Bytes cut short are an error that says where, never a read past the end: inside a
        // number, and inside the last string (whose declared length no longer fits).
        auto decodeError = [](std::span<const std::uint8_t> bytes) -> std::string {
            ArchiveCase partial;
            try {
                detail::ByteInputArchive archive(bytes);
                archive(partial);
            } catch (const cereal::Exception& e) {
                return e.what();
            }
            return "decoded";
        };
        const std::string inNumber = decodeError(std::span(ours.data(), 2));
        QVERIFY2(inNumber.find("4 bytes at offset 0: the encoded data ends after 2 bytes") !=
                     std::string::npos,
                 inNumber.c_str());
        const std::string inString = decodeError(std::span(ours.data(), ours.size() - 3));
        QVERIFY2(inString.find("declares 3 elements, but only 0 bytes follow") != std::string::npos,
                 inString.c_str());
    }

    void taggedMessagesRoundTripInCerealsFormat() {
        // A message is the type's name as a cereal string, then the object: what the stream
        // archives wrote before, byte for byte, so both ends may be built either way.
        const ArchiveCase original = archiveCase();
        const std::vector<std::uint8_t> message = tagged::encode(original);
        QCOMPARE(message, cerealBinary(std::string(typeid(ArchiveCase).name()), original));
        QVERIFY(tagged::decode<ArchiveCase>(message, [] { return std::string("test"); }) == original);
        QCOMPARE(tagged::decode<int>(tagged::encode(42), [] { return std::string("test"); }), 42);
        QCOMPARE(
            tagged::decode<std::string>(tagged::encode(std::string()), [] { return std::string("test"); }),
            std::string());
    }

    void taggedDecodeRefusesWhatItCannotTrust() {
        int whereCalls = 0;
        auto where = [&] {
            ++whereCalls;
            return std::string("get<T> on the test queue");
        };
        // Where the error happened is only built for an error.
        QCOMPARE(tagged::decode<double>(tagged::encode(0.5), where), 0.5);
        QCOMPARE(whereCalls, 0);

        // Another type: named, demangled.
        QVERIFY(throwsWith<SerializationError>(
            [&] { (void)tagged::decode<std::string>(tagged::encode(7), where); },
            {"get<T> on the test queue", "another type", "int"}));
        // Cut short: the archive's own error, with the type asked for.
        std::vector<std::uint8_t> cut = tagged::encode(std::string(100, 'x'));
        cut.resize(cut.size() - 1);
        QVERIFY(
            throwsWith<SerializationError>([&] { (void)tagged::decode<std::string>(cut, where); },
                                           {"cannot be decoded as", "declares 100 elements, but only 99"}));
        // The right tag, then a string that claims 2^62 bytes, or a vector 1000 ints with one
        // int behind it: refused before anything is sized for them (a resize would throw
        // length_error, or allocate and zero gigabytes, or abort the ASan build).
        std::vector<std::uint8_t> absurd = tagged::encode(std::string("x"));
        const std::uint64_t huge = std::uint64_t{1} << 62;
        std::memcpy(absurd.data() + absurd.size() - 1 - sizeof huge, &huge, sizeof huge);
        QVERIFY(throwsWith<SerializationError>(
            [&] { (void)tagged::decode<std::string>(absurd, where); },
            {"get<T> on the test queue", "cannot be decoded as", "declares 4611686018427387904 elements"}));
        std::vector<std::uint8_t> tooMany = tagged::encode(std::vector<int>{7});
        const std::uint64_t thousand = 1000;
        std::memcpy(tooMany.data() + tooMany.size() - sizeof(int) - sizeof thousand, &thousand,
                    sizeof thousand);
        QVERIFY(
            throwsWith<SerializationError>([&] { (void)tagged::decode<std::vector<int>>(tooMany, where); },
                                           {"declares 1000 elements", "only 4 bytes follow"}));
        // Nothing at all.
        QVERIFY(throwsWith<SerializationError>([&] { (void)tagged::decode<int>({}, where); },
                                               {"cannot be decoded as"}));
        // A size that passed the count check but not the allocator: the same error, not an
        // escaping length_error or bad_alloc (which a receiving thread would not expect).
        QVERIFY(throwsWith<SerializationError>(
            [&] {
                (void)tagged::decode<FailsToAllocate<std::length_error>>(
                    tagged::encode(FailsToAllocate<std::length_error>{}), where);
            },
            {"get<T> on the test queue", "cannot be decoded as", "longer than memory allows"}));
        QVERIFY(throwsWith<SerializationError>(
            [&] {
                (void)tagged::decode<FailsToAllocate<std::bad_alloc>>(
                    tagged::encode(FailsToAllocate<std::bad_alloc>{}), where);
            },
            {"cannot be decoded as", "FailsToAllocate", "longer than memory allows"}));
    }

    void verifyPayloadSizeMismatch() {
        const FrameCodec codec;
        const auto frame = codec.encode(pattern(10));
        const FrameHeader header = codec.decodeHeader(std::span(frame).first(FrameCodec::kHeaderSize));
        QCOMPARE(header.length, std::uint64_t{10});
        QVERIFY(throwsWith<FrameCorruptedError>([&] { codec.verifyPayload(header, pattern(9)); },
                                                {"size", "10", "9"}));
    }
};

FORKSCOPE_TEST_MAIN(TestFrameCodec)
#include "tst_frame_codec.moc"
