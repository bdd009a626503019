import DINO
import DINODistributed
import Foundation
import Testing

/// binutils' ELF reader, where the system has it (every Linux with a Swift toolchain does).
private let readelf = ["/usr/bin/readelf", "/usr/local/bin/readelf"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// The layers link only what they use: a student's chapters 00–08 need a BLAS and the Swift toolchain,
/// nothing else; the codecs come with the trainer (chapter 09) and Open MPI with data-parallel training
/// (chapter 10). Read from the built executables' ELF `NEEDED` entries (`readelf -d`), which is what the
/// dynamic loader will ask the system for.
@Suite(.enabled(if: readelf != nil, "readelf (binutils) is not installed; the check reads ELF files, so Linux only"))
struct LinkedLibrariesTests {

    /// The folder of the built products: the test bundle sits beside the executables.
    static let products: URL = {
        let running = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? ".")
        var folder = running.resolvingSymlinksInPath().deletingLastPathComponent()
        // On Linux the bundle is `DINOPackageTests.xctest`, an executable in the products folder.
        while folder.path != "/", !FileManager.default.fileExists(atPath: folder.appendingPathComponent("ch00-tensors").path) {
            folder.deleteLastPathComponent()
        }
        return folder
    }()

    /// The shared libraries an executable asks for, by their `NEEDED` names (`libmpi.so.40`, …).
    static func neededLibraries(of product: String) throws -> [String] {
        let executable = products.appendingPathComponent(product)
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw DataError("\(executable.path) is not built: `swift build` builds every chapter before this test can read it")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: readelf ?? "readelf")
        process.arguments = ["-d", executable.path]
        let output = Pipe()
        (process.standardOutput, process.standardError) = (output, FileHandle.nullDevice)
        let child = try ChildProcess(starting: process)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        _ = try child.status(within: 60)
        // `0x…01 (NEEDED)  Shared library: [libmpi.so.40]`
        return text.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line in
            guard let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]"), open < close else { return nil }
            return String(line[line.index(after: open)..<close])
        }
    }

    /// The libraries only the later layers may need.
    static let laterLayers = ["libmpi", "libpng", "libjpeg", "libz."]

    /// Those of `libraries` that belong to a later layer.
    static func fromLaterLayers(_ libraries: [String]) -> [String] {
        libraries.filter { library in laterLayers.contains { library.hasPrefix($0) } }
    }

    @Test(arguments: ["ch00-tensors", "ch01-patch-embedding", "ch02-attention", "ch03-vit", "ch04-dino-head",
                      "ch05-centering", "ch06-loss", "ch07-teacher", "ch08-schedules"])
    func chaptersZeroToEightNeedOnlyABLAS(chapter: String) throws {
        let libraries = try Self.neededLibraries(of: chapter)
        #expect(libraries.contains { $0.hasPrefix("libopenblas") }, "\(chapter) should link OpenBLAS; it needs \(libraries)")
        #expect(Self.fromLaterLayers(libraries).isEmpty, "\(chapter) needs \(Self.fromLaterLayers(libraries)), which only chapters 09–10 may")
    }

    /// The control: the trainer does need the codecs, and Open MPI exactly when built with the `MPI` trait,
    /// so the check above reads real entries.
    @Test func theTrainerNeedsTheCodecsAndMPIOnlyWithItsTrait() throws {
        let libraries = try Self.neededLibraries(of: "ch09-trainer")
        for codec in ["libpng", "libjpeg", "libz."] {
            #expect(libraries.contains { $0.hasPrefix(codec) }, "ch09-trainer should need \(codec); it needs \(libraries)")
        }
        #expect(libraries.contains { $0.hasPrefix("libmpi") } == Communicator.isAvailable,
                "ch09-trainer needs \(libraries); built \(Communicator.isAvailable ? "with" : "without") the MPI trait")
    }
}
