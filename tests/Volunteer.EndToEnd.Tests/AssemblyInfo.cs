// Every test runs real processes on a couple of cores: one at a time keeps them honest and on time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
