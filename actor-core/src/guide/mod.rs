//! The guide, compiled: each chapter is a file in `docs/`, included here so that every code
//! block in it is a doctest and the guide cannot drift from the code.
