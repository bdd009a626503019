import CZlib
import DINO
import DINOTraining
import DINOTestSupport
import Foundation
import Testing

/// Mutation fuzzing of every reader: random bit flips, special bytes, truncations, insertions and
/// header rewrites of the committed seed files (`Tests/Fixtures/corpus`, made by `make_corpus.py`).
/// A reader may accept or reject a mutant, never crash or hang; a crash ends the test process.
@Suite struct FuzzTests {
    /// Mutants per seed file in each test run (fixed, so the run is the same every time).
    static let budget = 2000

    static func corpus(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Fixture.folder.appendingPathComponent("corpus/\(name)")))
    }

    static func mutate(_ seed: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
        var bytes = seed
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            let position = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
            switch rng.next() % 6 {
            case 0 where !bytes.isEmpty: bytes[position] ^= UInt8(1 << (rng.next() % 8))
            case 1 where !bytes.isEmpty: bytes[position] = [0, 0xFF, 0x7F, 0x80, 0x01][Int(rng.next() % 5)]
            case 2: bytes = Array(bytes.prefix(position))
            case 3: bytes.insert(contentsOf: (0..<(1 + rng.next() % 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: position)
            case 4 where bytes.count >= 8:  // a size field rewritten: the first 8 bytes (safetensors' header length, IDX dimensions)
                let value = rng.next() >> (rng.next() % 64)
                for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
            default: if !bytes.isEmpty { bytes[position] = UInt8(truncatingIfNeeded: rng.next()) }
            }
        }
        return bytes
    }

    /// Runs `read` on the seed (which must succeed) and on `budget` mutants; returns how many were
    /// rejected and the slowest call.
    func fuzz(_ seedName: String, _ read: ([UInt8]) throws -> Void) throws -> (rejected: Int, slowest: Double) {
        let seed = try Self.corpus(seedName)
        try read(seed)
        var rng = SeededGenerator(seed: UInt64(seedName.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
        var (rejected, slowest) = (0, 0.0)
        for _ in 0..<Self.budget {
            let mutant = Self.mutate(seed, using: &rng)
            let start = Date()
            do { try read(mutant) } catch { rejected += 1 }
            slowest = max(slowest, Date().timeIntervalSince(start))
        }
        return (rejected, slowest)
    }

    @Test func safetensors() throws {
        let (rejected, slowest) = try fuzz("small.safetensors") { _ = try SafeTensors.decode(Data($0), file: URL(fileURLWithPath: "mutant")) }
        #expect(rejected > Self.budget / 4 && slowest < 1)
    }

    @Test(arguments: ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
    func idx(_ seed: String) throws {
        let url = temporaryFolder().appendingPathComponent(seed)
        let (rejected, slowest) = try fuzz(seed) { bytes in
            try Data(bytes).write(to: url)
            _ = try IDX.read(url.path, expectedDimensions: 3)
        }
        #expect(rejected > Self.budget / 4 && slowest < 1)
    }

    @Test(arguments: ["grey.png", "rgb.jpg"])
    func images(_ seed: String) throws {
        let (rejected, slowest) = try fuzz(seed) { _ = try ImageCodecs.decode($0, name: "mutant", channels: 3) }
        #expect(rejected > Self.budget / 10 && slowest < 1)
    }

    @Test func aHugeDeclaredImageIsRefusedBeforeAllocating() throws {
        var png = try Self.corpus("grey.png")
        // IHDR width and height (bytes 16…23) set to 16384 × 16384: 256 Mi pixels from a 75-byte file.
        png.replaceSubrange(16..<24, with: [0, 0, 0x40, 0, 0, 0, 0x40, 0])
        // A valid chunk checksum over "IHDR" and its 13 data bytes, so libpng reads the size and the
        // size check (not the CRC check) must refuse it.
        let crc = png[12..<29].withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        png.replaceSubrange(29..<33, with: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) })
        expectMessage(["more than 75 bytes can hold"]) { _ = try ImageCodecs.decode(png, name: "huge.png", channels: 1) }
    }
}
