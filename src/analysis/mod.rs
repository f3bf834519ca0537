//! Proximity, service coverage and under-served zones (being built).
