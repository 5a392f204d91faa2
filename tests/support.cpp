// Test helpers: see support.h
