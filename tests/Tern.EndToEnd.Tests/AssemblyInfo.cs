// Each test runs real VMs; two at a time keeps a 2-core CI machine responsive.
[assembly: CollectionBehavior(MaxParallelThreads = 2)]
