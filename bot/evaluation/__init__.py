"""`sohbet eval`: each task measured with the configured model beside a trivial baseline."""
