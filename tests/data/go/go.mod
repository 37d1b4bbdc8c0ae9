module memspy.test/grow

go 1.19
