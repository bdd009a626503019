#if MPI
import CMPI
#endif
import DINO
import Foundation

/// The processes of a data-parallel run, MPI's world: this process's rank, how many ranks there are,
/// and the two collectives DINO needs (a sum across ranks, an abort that stops them all).
///
/// A process that `mpirun` did not start is a world of one and never touches MPI, so the chapters,
/// the tests and a single-process run need no MPI runtime at all. Built without the package's `MPI`
/// trait (`swift build --disable-default-traits`, where Open MPI is not installed), every process is a
/// world of one, and one that `mpirun` started says how to build with MPI.
public final class Communicator: Sendable {
    /// This process's index, `0..<size`; rank 0 writes the run's files.
    public let rank: Int
    /// The number of processes.
    public let size: Int
    /// Whether MPI was initialised (only under `mpirun`).
    let usesMPI: Bool

    private init(rank: Int, size: Int, usesMPI: Bool) {
        (self.rank, self.size, self.usesMPI) = (rank, size, usesMPI)
    }

    /// A world of one process: what every run outside `mpirun` uses.
    public static let single = Communicator(rank: 0, size: 1, usesMPI: false)

    /// Whether `mpirun` (Open MPI) started this process: it sets the world's size in the environment.
    public static var launchedByMPI: Bool {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil
    }

    /// The world: MPI's when `mpirun` started this process (initialised on first use, its errors
    /// returned rather than fatal), a world of one otherwise.
    public static let world: Communicator = {
        guard launchedByMPI else { return single }
        #if MPI
        MPI_Init(nil, nil)
        MPI_Comm_set_errhandler(dino_mpi_comm_world(), dino_mpi_errors_return())
        var (rank, size): (Int32, Int32) = (0, 1)
        MPI_Comm_rank(dino_mpi_comm_world(), &rank)
        MPI_Comm_size(dino_mpi_comm_world(), &size)
        return Communicator(rank: Int(rank), size: Int(size), usesMPI: true)
        #else
        return single
        #endif
    }()

    /// Whether this build can run across processes: false when built without the `MPI` trait.
    public static let isAvailable: Bool = {
        #if MPI
        return true
        #else
        return false
        #endif
    }()

    /// Why a run that `mpirun` started cannot be data-parallel in this build, or `nil` when it can
    /// (or when `mpirun` did not start it).
    public static var unavailabilityUnderMPIRun: String? {
        guard launchedByMPI, !isAvailable else { return nil }
        return "this program was built without Open MPI (the package's MPI trait), so it cannot train across the processes mpirun started; install Open MPI (Debian and Ubuntu: apt-get install libopenmpi-dev openmpi-bin; macOS: brew install open-mpi) and build it with the default traits (swift build -c release), or run it without mpirun, on one process"
    }

    /// Replaces `values` on every rank with their elementwise sum over all ranks (`MPI_Allreduce`).
    public func sum(_ values: inout [Float]) throws {
        guard usesMPI, size > 1, !values.isEmpty else { return }
        #if MPI
        let watch = CollectiveDeadline.shared.begin("summing \(values.count) values", rank: rank, size: size)
        defer { CollectiveDeadline.shared.end(watch) }
        // MPI counts in Int32: a larger buffer goes in pieces.
        let piece = Int(Int32.max)
        try values.withUnsafeMutableBufferPointer { buffer in
            for start in stride(from: 0, to: buffer.count, by: piece) {
                let count = min(piece, buffer.count - start)
                let status = MPI_Allreduce(dino_mpi_in_place(), buffer.baseAddress.map { $0 + start }, Int32(count),
                                           dino_mpi_float(), dino_mpi_sum(), dino_mpi_comm_world())
                try check(status, "summing \(buffer.count) values across ranks")
            }
        }
        #endif
    }

    /// A sum under way (`MPI_Iallreduce`): `test` moves it on, `wait` finishes it.
    public struct Request {
        #if MPI
        var handle: MPI_Request?
        #endif
    }

    /// Starts summing `values` in place across the ranks without waiting (`MPI_Iallreduce`). The
    /// buffer must stay where it is, untouched, until `wait` returns.
    public func startSum(_ values: UnsafeMutableBufferPointer<Float>) throws -> Request {
        var request = Request()
        guard usesMPI, size > 1, !values.isEmpty else { return request }
        #if MPI
        guard values.count <= Int(Int32.max) else {
            throw TrainingError("a bucket of \(values.count) values is larger than MPI counts (\(Int32.max)); use smaller buckets")
        }
        var handle: MPI_Request? = dino_mpi_request_null()
        try check(MPI_Iallreduce(dino_mpi_in_place(), values.baseAddress, Int32(values.count), dino_mpi_float(), dino_mpi_sum(),
                                 dino_mpi_comm_world(), &handle), "starting a sum of \(values.count) values")
        request.handle = handle
        #endif
        return request
    }

    /// Lets MPI progress `request` (Open MPI moves a non-blocking sum on only inside its calls).
    public func test(_ request: inout Request) throws {
        #if MPI
        guard request.handle != dino_mpi_request_null() else { return }
        var done: Int32 = 0
        try check(MPI_Test(&request.handle, &done, dino_mpi_status_ignore()), "polling a sum")
        #endif
    }

    /// Waits until `request`'s sum is complete.
    public func wait(_ request: inout Request) throws {
        #if MPI
        guard request.handle != dino_mpi_request_null() else { return }
        let watch = CollectiveDeadline.shared.begin("waiting for a bucket's sum", rank: rank, size: size)
        defer { CollectiveDeadline.shared.end(watch) }
        try check(MPI_Wait(&request.handle, dino_mpi_status_ignore()), "waiting for a sum")
        #endif
    }

    /// `value` summed over all ranks.
    public func sum(_ value: Double) throws -> Double {
        guard usesMPI, size > 1 else { return value }
        #if MPI
        let watch = CollectiveDeadline.shared.begin("summing a value", rank: rank, size: size)
        defer { CollectiveDeadline.shared.end(watch) }
        var (input, output) = (value, 0.0)
        try check(MPI_Allreduce(&input, &output, 1, dino_mpi_double(), dino_mpi_sum(), dino_mpi_comm_world()), "summing a value across ranks")
        return output
        #else
        return value
        #endif
    }

    /// A tensor summed over all ranks.
    public func sum(_ tensor: Tensor) throws -> Tensor {
        var scalars = tensor.scalars
        try sum(&scalars)
        return Tensor(shape: tensor.shape, scalars: scalars)
    }

    #if MPI
    func check(_ status: Int32, _ what: String) throws {
        guard status != MPI_SUCCESS else { return }
        var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1), length: Int32 = 0
        MPI_Error_string(status, &text, &length)
        throw TrainingError("rank \(rank) of \(size): MPI failed while \(what): \(String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))")
    }
    #endif

    /// Ends MPI on this rank after a run that finished (every rank must call it).
    public func finish() {
        guard usesMPI else { return }
        #if MPI
        MPI_Finalize()
        #endif
    }

    /// Stops every rank at once (`MPI_Abort`) after this one failed: the others would otherwise wait
    /// for it in their next sum, forever.
    public func abortAll(status: Int32) -> Never {
        #if MPI
        if usesMPI, size > 1 { MPI_Abort(dino_mpi_comm_world(), status) }
        #endif
        exit(status)
    }
}
