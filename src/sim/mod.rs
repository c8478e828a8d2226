//! A model of Juju for tests and charm-sim.
