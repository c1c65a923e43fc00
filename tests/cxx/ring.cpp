// A C++ program (STL, iostream, a class) calling MPI's C API, built by Open MPI's mpicxx,
// which links libmpi_cxx.so.40: STEPS ring exchanges of a vector, a derived datatype, an
// Allreduce per step, a running checksum; "step N" lines let a test pick the checkpoint moment.
#include <mpi.h>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <vector>
#include <unistd.h>

class Ring {
public:
    Ring(MPI_Comm comm) : comm_(comm) {
        MPI_Comm_rank(comm_, &rank_);
        MPI_Comm_size(comm_, &size_);
        MPI_Type_contiguous(4, MPI_DOUBLE, &quad_);
        MPI_Type_commit(&quad_);
        data_.assign(256, rank_ + 1.0);
    }
    ~Ring() { MPI_Type_free(&quad_); }
    double step(int i) {
        std::vector<double> in(data_.size());
        int right = (rank_ + 1) % size_, left = (rank_ + size_ - 1) % size_;
        MPI_Sendrecv(data_.data(), (int)data_.size() / 4, quad_, right, i, in.data(), (int)in.size() / 4, quad_, left, i,
                     comm_, MPI_STATUS_IGNORE);
        for (size_t k = 0; k < data_.size(); k++) data_[k] = 0.5 * data_[k] + 0.25 * in[k] + 1e-3 * (double)(k % 7);
        double local = std::accumulate(data_.begin(), data_.end(), 0.0), global = 0;
        MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, comm_);
        return global;
    }
    int rank() const { return rank_; }
private:
    MPI_Comm comm_;
    MPI_Datatype quad_;
    int rank_ = 0, size_ = 1;
    std::vector<double> data_;
};

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int steps = argc > 1 ? std::atoi(argv[1]) : 40;
    {
        Ring ring(MPI_COMM_WORLD);
        uint64_t sum = 0;
        for (int i = 1; i <= steps; i++) {
            double g = ring.step(i);
            sum = sum * 1099511628211ULL + (uint64_t)(g * 1e6);
            if (ring.rank() == 0) std::cout << "step " << i << " " << g << std::endl;
            usleep(50000);
        }
        if (ring.rank() == 0) std::cout << "done " << sum << std::endl;
    }
    MPI_Finalize();
}
