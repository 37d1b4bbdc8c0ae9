module memspy.test/gopprof

go 1.19
