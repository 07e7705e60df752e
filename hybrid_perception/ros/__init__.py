"""The thin ROS 2 layer: message conversion, QoS, nodes. Only this package imports rclpy."""
