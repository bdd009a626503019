import DINO
import Foundation

/// Reads the tensors that a committed Python script wrote for a test: `Tests/Fixtures/NAME.safetensors`
/// (the script that makes it, and the command to rerun it, sit beside the file).
public struct Fixture: Sendable {
    /// The tensors by name.
    public let tensors: [String: Tensor]
    /// The file read.
    public let url: URL

    /// The repository's `Tests/Fixtures` folder, found from this source file's path.
    public static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Fixtures")

    /// Loads `Tests/Fixtures/<name>.safetensors`; throws a message naming the file when it is missing or corrupt.
    public init(_ name: String) throws {
        url = Self.folder.appendingPathComponent(name + ".safetensors")
        tensors = try SafeTensors.read(url)
    }

    /// The tensor called `name`; throws when the fixture has no such tensor.
    public subscript(_ name: String) -> Tensor {
        get throws {
            guard let tensor = tensors[name] else {
                throw FixtureError("\(url.path) has no tensor \(name); it has \(tensors.keys.sorted())")
            }
            return tensor
        }
    }
}

/// A fixture that lacks a tensor, with the file and the name.
public struct FixtureError: Error, CustomStringConvertible {
    /// What went wrong, naming the file.
    public let description: String
    init(_ description: String) { self.description = description }
}
