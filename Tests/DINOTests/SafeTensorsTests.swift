import DINO
import DINOTestSupport
import Foundation
import Testing

@Suite struct SafeTensorsTests {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dino-safetensors-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// A file with this header JSON and `dataBytes` bytes of data.
    func file(_ header: String, dataBytes: Int = 0, lengthOverride: UInt64? = nil) throws -> URL {
        var data = Data()
        withUnsafeBytes(of: (lengthOverride ?? UInt64(header.utf8.count)).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: [UInt8](repeating: 0, count: dataBytes))
        let url = folder.appendingPathComponent(UUID().uuidString + ".safetensors")
        try data.write(to: url)
        return url
    }

    func expectError(_ url: URL, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try SafeTensors.read(url)
            Issue.record("reading \(url.lastPathComponent) should fail with '\(fragment)'", sourceLocation: sourceLocation)
        } catch {
            let message = "\(error)"
            #expect(message.contains(fragment), "message: \(message)", sourceLocation: sourceLocation)
            #expect(message.contains(url.path), "message names the file: \(message)", sourceLocation: sourceLocation)
        }
    }

    @Test func roundTripKeepsNamesShapesAndBits() throws {
        let tensors = [("b.weight", Tensor(shape: [2, 3], scalars: [1, -2, 3.5, .pi, 0, -0.0])), ("a", Tensor([7]))]
        let url = folder.appendingPathComponent("round.safetensors")
        try SafeTensors.write(tensors.map { (name: $0.0, tensor: $0.1) }, metadata: ["format": "pt"], to: url)
        let read = try SafeTensors.read(url)
        #expect(read["b.weight"] == tensors[0].1)
        #expect(read["a"] == tensors[1].1)
        let bytes = try Data(contentsOf: url)
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect((8 + headerLength) % 8 == 0)  // data aligned, as the reference writer does
    }

    @Test func halfAndBFloat16ByHand() throws {
        // F16 0x3C00 = 1, 0xC000 = −2, 0x0001 = 2⁻²⁴ (subnormal); BF16 0x3F80 = 1, 0x4049 = 3.140625.
        let url = try file(#"{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[6,10]}}"#, dataBytes: 10)
        var data = try Data(contentsOf: url)
        let start = data.count - 10
        data.replaceSubrange(start..<data.count, with: [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x80, 0x3F, 0x49, 0x40])
        try data.write(to: url)
        let read = try SafeTensors.read(url)
        #expect(read["h"]!.scalars == [1, -2, 0x1p-24])
        #expect(read["b"]!.scalars == [1, 3.140625])
    }

    @Test func prefixesAreStripped() throws {
        let url = folder.appendingPathComponent("prefixed.safetensors")
        try SafeTensors.write([(name: "module.backbone.x", tensor: Tensor([1]))], to: url)
        #expect(try SafeTensors.read(url, stripping: "module.backbone.").keys.sorted() == ["x"])
    }

    @Test func truncatedFiles() throws {
        expectError(try file("", lengthOverride: 0).deletingLastPathComponent().appendingPathComponent("missing.safetensors"), "missing.safetensors does not exist")
        // A folder where the file should be: said in our words, not Foundation's.
        expectError(folder, "is a folder, expected a file")
        let tiny = folder.appendingPathComponent("tiny.safetensors")
        try Data([1, 2, 3]).write(to: tiny)
        expectError(tiny, "shorter than the 8-byte header length")
        expectError(try file(#"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8), "outside the 8 data bytes")
    }

    @Test func headerLengthBeyondTheFile() throws {
        expectError(try file("{}", lengthOverride: 1 << 40), "runs past the end of the file")
    }

    @Test func malformedJSON() throws {
        expectError(try file(#"{"x": [1, 2"#), "not valid JSON")
        expectError(try file(#"[1, 2]"#), "not a JSON object")
        expectError(try file(#"{"x":{"dtype":"F32"}}"#), "tensor x: expected {dtype, shape, data_offsets")
    }

    @Test func overlappingAndOutOfRangeOffsets() throws {
        expectError(try file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12), "overlap")
        expectError(try file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, dataBytes: 8), "outside")
        expectError(try file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, dataBytes: 8), "outside")
    }

    @Test func unknownDtypeAndSizeMismatch() throws {
        expectError(try file(#"{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#, dataBytes: 8), "unsupported dtype F64")
        expectError(try file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8), "needs 12 bytes, data_offsets give 8")
        expectError(try file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, dataBytes: 8), "needs too many bytes")
        // 2³¹ · 2³¹ = 2⁶² elements fit in an Int; their 2⁶⁴ bytes do not (this trapped `features` once).
        expectError(try file(#"{"a":{"dtype":"F32","shape":[2147483648,2147483648],"data_offsets":[0,8]}}"#, dataBytes: 8), "needs too many bytes")
        expectError(try file(#"{"a":{"dtype":"BF16","shape":[2147483648,2147483648,2],"data_offsets":[0,8]}}"#, dataBytes: 8), "needs too many bytes")
    }

    @Test func missingUnexpectedAndMisshapenParameters() throws {
        var model = tinyViT(depth: 1)
        var tensors = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.tensor) })
        let url = folder.appendingPathComponent("vit.safetensors")
        func expectLoadError(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try SafeTensors.write(tensors.sorted { $0.key < $1.key }.map { (name: $0.key, tensor: $0.value) }, to: url)
            #expect(sourceLocation: sourceLocation, performing: { try model.load(safetensors: url) }, throws: { error in
                "\(error)".contains(fragment) && "\(error)".contains(url.path)
            })
        }
        tensors["blocks.0.attn.qkv.weight"] = Tensor(zeros: [3, 3])
        try expectLoadError("parameter blocks.0.attn.qkv.weight has shape [3, 3], the model expects [24, 8]")
        tensors["blocks.0.attn.qkv.weight"] = nil
        try expectLoadError("parameter blocks.0.attn.qkv.weight is missing")
        tensors["blocks.0.attn.qkv.weight"] = model.blocks[0].attention.qkv.weight
        tensors["head.weight"] = Tensor([1])
        try expectLoadError("unexpected parameter head.weight")
        tensors["head.weight"] = nil
        try SafeTensors.write(tensors.map { (name: "module.backbone." + $0.key, tensor: $0.value) }, to: url)
        try model.load(safetensors: url)  // the DINO checkpoint prefix is understood
    }

    /// `checkWritableAtomically` (what `features` calls before computing) fails where `writeAtomically`
    /// would, with the same words, and leaves no file behind either way.
    @Test func theUpFrontWriteCheckFailsAsTheWriteWouldAndLeavesNothing() throws {
        func message(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch { return "\(error)" }
        }
        let writable = folder.appendingPathComponent("features.safetensors")
        #expect(message { try checkWritableAtomically(writable) } == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty, "the check leaves no file")
        let aFolder = folder.appendingPathComponent("taken")
        try FileManager.default.createDirectory(at: aFolder, withIntermediateDirectories: false)
        let missingParent = folder.appendingPathComponent("missing/features.safetensors")
        for (url, fragment) in [(aFolder, "is a folder, expected a file"), (missingParent, "create the folder first")] {
            let check = message { try checkWritableAtomically(url) }
            #expect(check?.contains(fragment) == true && check?.contains(url.path) == true, "check: \(check ?? "no error")")
            #expect(check == message { try writeAtomically(Data([1]), to: url) }, "the same words as the write itself")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["taken"], "nothing else was left")
    }
}
