print("benchmarks: to come")
