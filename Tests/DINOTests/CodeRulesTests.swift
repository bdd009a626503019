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

    /// The Swift files under `folders` (relative to the package root), each with its path as `folder/…` and
    /// its text: what every rule below walks.
    static func swiftFiles(under folders: [String]) throws -> [(path: String, text: String)] {
        var files = [(path: String, text: String)]()
        for folder in folders {
            let base = root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in walker where url.pathExtension == "swift" {
                files.append((folder + url.path.dropFirst(base.path.count), try String(contentsOf: url, encoding: .utf8)))
            }
        }
        return files
    }

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
        let files = try Self.swiftFiles(under: ["Sources", "Chapters", "Tools", "Benchmarks"])
        let found = try files.flatMap { try Self.violations(in: $0.text, path: $0.path) }
        #expect(files.count > 50)
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    /// The `#expect` calls of `text` that neither print what was expected and what they got nor are a
    /// negative control (`compare(…).failures > 0`): a student whose exercise fails must see both.
    static func silentExpectations(in text: String) -> [String] {
        var found = [String](), rest = Substring(text)
        while let start = rest.range(of: "#expect(") {
            var depth = 0, end = start.upperBound
            for index in rest[start.lowerBound...].indices {
                if rest[index] == "(" { depth += 1 } else if rest[index] == ")" { depth -= 1; if depth == 0 { end = index; break } }
            }
            let call = String(rest[start.lowerBound...end])
            let printsBoth = call.contains("expected") && call.contains("got \\(")
            if !printsBoth && !call.contains(".failures > 0") { found.append(call) }
            rest = rest[rest.index(after: end)...]
        }
        return found
    }

    @Test func exerciseTestsPrintWhatTheyExpectedAndWhatTheyGot() throws {
        let folder = Self.root.appendingPathComponent("Exercises/Tests")
        var calls = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where name.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            calls += text.components(separatedBy: "#expect(").count - 1
            let silent = Self.silentExpectations(in: text)
            #expect(silent.isEmpty, "\(name): give these a message \"expected \\(…), got \\(…)\" or use assertClose:\n\(silent.joined(separator: "\n"))")
        }
        #expect(calls > 5)
        // Negative control: a bare comparison is caught, a message or a negative control is not.
        #expect(Self.silentExpectations(in: "#expect(f(x) == 1)").count == 1)
        #expect(Self.silentExpectations(in: "#expect(a == (b), \"expected \\(b), got \\(a)\")").isEmpty)
        #expect(Self.silentExpectations(in: "#expect(compare(a, b).failures > 0)").isEmpty)
    }

    @Test func theRulesCatchWhatTheyName() throws {
        // Negative controls: each forbidden form is found, the allowed ones are not.
        #expect(try Self.violations(in: "let x = try! load()", path: "a").count == 1)
        #expect(try Self.violations(in: "FileHandle.standardOutput.write(Data(text.utf8))", path: "a").count == 2)
        #expect(try Self.violations(in: "try FileHandle.standardOutput.write(contentsOf: data)", path: "a").isEmpty)
        #expect(try Self.violations(in: "// try! is forbidden", path: "a").isEmpty)
    }
    /// Speed code: pointers, threads, locks, SIMD lanes, C kernels and the fast path's own machinery.
    static let speedCode = [
        #"Unsafe"#, #"SIMD\d"#, #"\bDispatch"#, #"concurrentPerform"#, #"\bThread\b"#, #"Mutex"#, #"Atomic"#, #"pthread"#,
        #"@unchecked"#, #"import (COpenBLAS|VectorKernels|CMalloc|Synchronization)"#, #"\bcblas_"#, #"\bdino_"#,
        #"\bParallel\."#, #"WorkerPool"#, #"SendablePointer"#,
    ]

    /// The lines of `text` (comments aside) that hold speed code, as `path:line: pattern`.
    static func speedCodeLines(in text: String, path: String) throws -> [String] {
        var found = [String]()
        for (number, line) in text.components(separatedBy: "\n").enumerated() {
            let code = line.components(separatedBy: "//").first ?? line
            for pattern in speedCode where try Regex(pattern).firstMatch(in: code) != nil {
                found.append("\(path):\(number + 1): \(pattern)")
            }
        }
        return found
    }

    /// Chapters 00–08's folders hold the reference path only, whether or not the book quotes a line:
    /// what makes it fast lives in `Sources/DINO/Fast/` and the C targets.
    @Test func chapterFoldersHoldNoSpeedCode() throws {
        let library = Self.root.appendingPathComponent("Sources/DINO")
        let folders = try FileManager.default.contentsOfDirectory(atPath: library.path)
            .filter { $0.range(of: #"^0[0-8]-"#, options: .regularExpression) != nil }.sorted()
        #expect(folders.count == 9, "expected the folders of chapters 00–08, found \(folders)")
        var found = [String](), files = 0
        for folder in folders {
            for name in try FileManager.default.contentsOfDirectory(atPath: library.appendingPathComponent(folder).path) where name.hasSuffix(".swift") {
                files += 1
                let url = library.appendingPathComponent(folder).appendingPathComponent(name)
                found += try Self.speedCodeLines(in: String(contentsOf: url, encoding: .utf8), path: "\(folder)/\(name)")
            }
        }
        #expect(files > 30)
        #expect(found.isEmpty, "speed code belongs in Sources/DINO/Fast/:\n\(found.joined(separator: "\n"))")
        // Negative controls: the fast path's files are caught, a comment naming the rule is not.
        let fast = try String(contentsOf: library.appendingPathComponent("Fast/Parallel.swift"), encoding: .utf8)
        #expect(try !Self.speedCodeLines(in: fast, path: "Fast/Parallel.swift").isEmpty)
        #expect(try Self.speedCodeLines(in: "x.withUnsafeBufferPointer { $0 }", path: "a").count == 1)
        #expect(try Self.speedCodeLines(in: "let y = 1  // no Unsafe here", path: "a").isEmpty)
    }
    /// The compute settings are bound where a run starts (the trainer's `fit`, the command line, a
    /// chapter's own demonstration), by evaluation's float32 rule, and by test and benchmark support:
    /// nowhere else in the library, so no layer grows a parameter or a binding of its own.
    @Test func computeSettingsAreBoundOnlyWhereARunStarts() throws {
        let allowed: Set<String> = ["Sources/DINOTraining/Trainer/DINOTrainer.swift", "Sources/DINOTraining/Evaluation/Evaluation.swift"]
        var binders = [String]()
        for file in try Self.swiftFiles(under: ["Sources/DINO", "Sources/DINOTraining", "Sources/DINODistributed", "Sources/DINOSupport"]) {
            let code = file.text.split(separator: "\n").map { $0.components(separatedBy: "//").first ?? "" }.joined(separator: "\n")
            if code.contains("$current.withValue") || code.contains("$threadCount.withValue") { binders.append(file.path) }
        }
        #expect(Set(binders) == allowed, "bound outside a run's entry point: \(Set(binders).subtracting(allowed).sorted()); no longer bound: \(allowed.subtracting(binders).sorted())")
    }
    /// Programs are started and awaited through `ChildProcess`, with a limit: Foundation's
    /// `waitUntilExit()` can block for good off the main thread (the chapters run on the test runner's
    /// threads too), and a hung test hangs CI.
    @Test func programsAreAwaitedWithALimit() throws {
        let pattern = try Regex(#"\.waitUntilExit\(|\btry \w+\.run\(\)"#)
        var found = [String]()
        let files = try Self.swiftFiles(under: ["Sources", "Chapters", "Tests", "Exercises", "Tools", "Benchmarks"])
            .filter { !$0.path.hasSuffix("/ChildProcess.swift") }
        for file in files {
            for (number, line) in file.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where (line.components(separatedBy: "//").first ?? "").contains(pattern) {
                found.append("\(file.path):\(number + 1)")
            }
        }
        #expect(files.count > 100)
        #expect(found.isEmpty, "start and await programs with ChildProcess (a limit, no run loop): \(found)")
        // Negative controls: both forms are caught, ChildProcess's own start is not.
        #expect(("process." + "waitUntilExit()").contains(pattern) && ("try " + "run.run()").contains(pattern))
        #expect(!"let run = try ChildProcess(starting: process)".contains(pattern))
    }
    /// Every BLAS call goes through `SystemBLAS.swift`, the one file that knows OpenBLAS from Accelerate:
    /// a Mac build then differs from a Linux one in that file and the manifest only.
    @Test func oneFileCallsTheBLAS() throws {
        let pattern = try Regex(#"\bcblas_\w+\(|\bopenblas_\w+\(|import (COpenBLAS|Accelerate)\b"#)
        let callers = Set(try Self.swiftFiles(under: ["Sources", "Chapters", "Benchmarks", "Tools", "Exercises"]).filter { file in
            file.text.split(separator: "\n").contains { ($0.components(separatedBy: "//").first ?? "").contains(pattern) }
        }.map(\.path))
        #expect(callers == ["Sources/DINO/Fast/SystemBLAS.swift"], "BLAS called outside SystemBLAS.swift: \(callers.sorted())")
    }
    /// CI's build without Open MPI skips the suites `Tools/mpi-independent-suites` names, since the MPI trait
    /// changes only `DINODistributed` (and what imports it: `DINOTraining`, the chapters). Each named suite
    /// must therefore import neither, directly or through `DINOTestSupport`, or the skip would hide a difference.
    @Test func theSuitesSkippedWithoutMPIImportNothingTheTraitChanges() throws {
        let list = try String(contentsOf: Self.root.appendingPathComponent("Tools/mpi-independent-suites"), encoding: .utf8)
        let names = list.drop { $0 != "(" }.dropFirst().prefix { $0 != ")" }.split(separator: "|").map(String.init)
        #expect(names.count > 10, "expected the suites as \\.(A|B|…)\\b, got \(list)")
        let changed = try Regex(#"^(@testable )?import (DINODistributed|DINOTraining|Ch\d\d\w*)\b"#).anchorsMatchLineEndings()
        let tests = try Self.swiftFiles(under: ["Tests"])
        let supportChanged = try Self.swiftFiles(under: ["Sources/DINOTestSupport"]).contains { $0.text.contains(changed) }
        for name in names {
            let declaring = try Regex(#"(struct|class|enum) "# + name + #"\b"#)
            let files = tests.filter { $0.text.contains(declaring) }
            #expect(files.count == 1, "expected one file declaring \(name), found \(files.map(\.path).sorted())")
            for file in files {
                let importsAChangedModule = file.text.contains(changed), importsChangedSupport = file.text.contains("import DINOTestSupport") && supportChanged
                #expect(!importsAChangedModule, "\(file.path) imports a module the MPI trait changes: take \(name) out of Tools/mpi-independent-suites")
                #expect(!importsChangedSupport, "\(file.path) imports DINOTestSupport, which imports a module the MPI trait changes")
            }
        }
        // Negative control: a file that imports DINOTraining is caught, one that imports DINO alone is not.
        #expect("import DINO\nimport DINOTraining\n".contains(changed) && !"import DINO\nimport Testing\n".contains(changed))
    }
}
