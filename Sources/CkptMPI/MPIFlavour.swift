import ArgumentParser

/// A real MPI implementation a lower half can be built against and launched with.
enum MPIFlavour: String, CaseIterable, ExpressibleByArgument, Sendable {
    case openmpi
    case mpich

    /// The preference when the user does not choose: Open MPI first, as the brief of
    /// this CLI asks; the application's face ABI is the same either way.
    static let preferenceOrder: [MPIFlavour] = [.openmpi, .mpich]

    /// The launcher's name as Debian/Ubuntu install it; the unsuffixed `mpirun` is an
    /// alternatives link that may point at either implementation, so we never use it.
    var launcherName: String {
        switch self {
        case .openmpi: return "mpirun.openmpi"
        case .mpich: return "mpiexec.mpich"
        }
    }

    /// The lower half built against this MPI, a sibling of the ckpt-mpi executable.
    var lowerHalfName: String { "ckpt-lower-\(rawValue)" }

    /// What to install to get this MPI's launcher and headers (needed to build the lower half).
    var packages: String {
        switch self {
        case .openmpi: return "openmpi-bin and libopenmpi-dev"
        case .mpich: return "mpich and libmpich-dev"
        }
    }

    /// The option that sets the number of ranks.
    var rankCountOption: String {
        switch self {
        case .openmpi: return "-np"
        case .mpich: return "-n"
        }
    }
}
