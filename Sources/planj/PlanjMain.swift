import ArgumentParser
import PlanJournalCLI

@main
struct PlanjMain {
    static func main() async {
        await Planj.main()
    }
}
