"""ROS tools that are not nodes of a graph: the raw bag recorder and the live evaluation."""
