import Foundation
import Testing

/// Rules a grep can keep: no `try!` (an I/O error would become a crash) and no `FileHandle.write(_:)`
/// (it traps on a full disk or a closed pipe; `write(contentsOf:)` throws) in the library, the chapters,
/// the tools and the benchmarks.
@Suite struct CodeRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let forbidden = [
        (#"try!"#, "try! turns an error into a crash"),
        (#"FileHandle\.\w+\.write\((?!contentsOf:)"#, "FileHandle.write(_:) traps on a full disk or a closed pipe"),
        (#"\.write\(Data\("#, "FileHandle.write(_:) traps on a full disk or a closed pipe"),
    ]

    /// Every line of the project's Swift sources that breaks a rule, as `path:line: reason`.
    static func violations(in text: String, path: String) throws -> [String] {
        var found = [String]()
        for (number, line) in text.components(separatedBy: "\n").enumerated() {
            let code = line.components(separatedBy: "//").first ?? line  // comments may name the rules
            for (pattern, reason) in forbidden where try Regex(pattern).firstMatch(in: code) != nil {
                found.append("\(path):\(number + 1): \(reason)")
            }
        }
        return found
    }

    @Test func noTrapOnAnyIOPath() throws {
        var found = [String](), files = 0
        for folder in ["Sources", "Chapters", "Tools", "Benchmarks"] {
            let base = Self.root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where url.pathExtension == "swift" {
                files += 1
                found += try Self.violations(in: String(contentsOf: url, encoding: .utf8), path: folder + url.path.dropFirst(base.path.count))
            }
        }
        #expect(files > 50)
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    @Test func theRulesCatchWhatTheyName() throws {
        // Negative controls: each forbidden form is found, the allowed ones are not.
        #expect(try Self.violations(in: "let x = try! load()", path: "a").count == 1)
        #expect(try Self.violations(in: "FileHandle.standardOutput.write(Data(text.utf8))", path: "a").count == 2)
        #expect(try Self.violations(in: "try FileHandle.standardOutput.write(contentsOf: data)", path: "a").isEmpty)
        #expect(try Self.violations(in: "// try! is forbidden", path: "a").isEmpty)
    }
}
