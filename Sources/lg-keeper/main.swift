print("lg-keeper")
