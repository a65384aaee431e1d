class Q { static void Main(){} }
