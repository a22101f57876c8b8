using BenchmarkDotNet.Running;
using InfraGuard.Benchmarks.Oidc;

BenchmarkRunner.Run<CiTokenBenchmarks>(args: args);
