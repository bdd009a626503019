// Open MPI's C interface. `MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_SUM` and `MPI_IN_PLACE` are macros over
// incomplete types, which Swift cannot import; these getters hand them over as values.
#include <mpi.h>

static inline MPI_Comm dino_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype dino_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype dino_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op dino_mpi_sum(void) { return MPI_SUM; }
static inline void *dino_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler dino_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Status *dino_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Request dino_mpi_request_null(void) { return MPI_REQUEST_NULL; }
