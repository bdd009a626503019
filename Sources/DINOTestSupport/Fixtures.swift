import DINO
import Foundation

/// Reads the tensors that a committed Python script wrote for a test (`Tests/Fixtures/NAME.json`,
/// `{"tensor name": {"shape": [...], "data": [...]}}`; the script sits beside the file).
public struct Fixture: Sendable {
    /// The tensors by name.
    public let tensors: [String: Tensor]

    /// The repository's `Tests/Fixtures` folder, found from this source file's path.
    public static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Fixtures")

    /// Loads `Tests/Fixtures/<name>.json`; throws a message naming the file when it is missing or malformed.
    public init(_ name: String) throws {
        let url = Self.folder.appendingPathComponent(name + ".json")
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FixtureError("fixture \(url.path) cannot be read: \(error.localizedDescription)")
        }
        struct Entry: Decodable { let shape: [Int]; let data: [Float] }
        let entries: [String: Entry]
        do { entries = try JSONDecoder().decode([String: Entry].self, from: data) } catch {
            throw FixtureError("fixture \(url.path) is not {name: {shape, data}} JSON: \(error)")
        }
        var tensors: [String: Tensor] = [:]
        for (name, entry) in entries {
            guard entry.shape.reduce(1, *) == entry.data.count else {
                throw FixtureError("fixture \(url.path): \(name) has shape \(entry.shape) but \(entry.data.count) values")
            }
            tensors[name] = Tensor(shape: entry.shape, scalars: entry.data)
        }
        self.tensors = tensors
    }

    /// The tensor called `name`; throws when the fixture has no such tensor.
    public subscript(_ name: String) -> Tensor {
        get throws {
            guard let tensor = tensors[name] else {
                throw FixtureError("fixture has no tensor \(name); it has \(tensors.keys.sorted())")
            }
            return tensor
        }
    }
}

/// A fixture that could not be loaded, with the reason.
public struct FixtureError: Error, CustomStringConvertible {
    /// What went wrong, naming the file.
    public let description: String
    init(_ description: String) { self.description = description }
}
